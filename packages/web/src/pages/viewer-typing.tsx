import { Stack, Text, TextInput } from '@mantine/core';
import type RFB from '@novnc/novnc';

const XK_RETURN = 0xff0d;
const XK_BACKSPACE = 0xff08;

/**
 * The X keysym of a character (X11 keysymdef.h, "Unicode characters"): Latin-1 printable characters
 * are their own keysym; any other code point is 0x01000000 plus it.
 */
export function keysymOf(char: string): number {
  const code = char.codePointAt(0)!;
  if (char === '\n') return XK_RETURN;
  if ((code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff)) return code;
  return 0x01000000 + code;
}

/**
 * Typing for touch screens: focusing the remote's canvas does not bring up an on-screen keyboard,
 * a text field does. What is typed here goes to the remote character by character (each as a key
 * press and release), and the field empties again; Enter and Backspace are sent as those keys.
 * Word suggestions are turned off: a keyboard that rewrites a word after the fact cannot be
 * followed without deleting on the remote.
 */
export function TypingPanel({ rfb }: { rfb: RFB | null }) {
  return (
    <Stack gap="xs">
      <TextInput
        label="Type to the remote"
        data-autofocus
        disabled={!rfb}
        value=""
        autoComplete="off"
        autoCapitalize="off"
        autoCorrect="off"
        spellCheck={false}
        enterKeyHint="send"
        onChange={(event) => {
          for (const char of event.currentTarget.value) rfb?.sendKey(keysymOf(char), null);
        }}
        onKeyDown={(event) => {
          const keysym = event.key === 'Enter' ? XK_RETURN : event.key === 'Backspace' ? XK_BACKSPACE : undefined;
          if (keysym === undefined) return;
          event.preventDefault();
          rfb?.sendKey(keysym, event.key);
        }}
      />
      <Text size="xs" c="dimmed">
        Each character is sent as you type it; Enter and Backspace too.
      </Text>
    </Stack>
  );
}
