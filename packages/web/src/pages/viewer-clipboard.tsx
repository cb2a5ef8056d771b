import { Button, Group, Stack, Text, Textarea } from '@mantine/core';
import type RFB from '@novnc/novnc';

/**
 * The clipboard panel: text typed or pasted here goes to the remote's clipboard (and, with Xvnc,
 * its PRIMARY selection: a middle click pastes it); text copied in the remote shows up here (noVNC's
 * `clipboard` event), since browsers let a page write the local clipboard only on a user gesture.
 */
export function ClipboardPanel({
  rfb,
  text,
  setText,
  done,
}: {
  rfb: RFB | null;
  text: string;
  setText: (text: string) => void;
  done: () => void;
}) {
  const send = () => {
    rfb?.clipboardPasteFrom(text);
    done();
  };
  return (
    <Stack gap="xs">
      <Textarea
        label="Clipboard"
        description="Copied in the remote shows here; Ctrl+Enter sends to the remote."
        autosize
        minRows={3}
        maxRows={8}
        value={text}
        onChange={(event) => setText(event.currentTarget.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
            event.preventDefault();
            send();
          }
        }}
        data-autofocus
      />
      <Group justify="space-between">
        <Text size="xs" c="dimmed">
          {text.length} characters
        </Text>
        <Button onClick={send} disabled={!rfb}>
          Send to remote
        </Button>
      </Group>
    </Stack>
  );
}
