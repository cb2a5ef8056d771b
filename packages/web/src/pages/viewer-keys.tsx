import { Button, Stack } from '@mantine/core';
import type RFB from '@novnc/novnc';

/** X keysyms (X11 keysymdef.h) with the KeyboardEvent.code noVNC pairs them with. */
const KEY = {
  controlLeft: [0xffe3, 'ControlLeft'],
  escape: [0xff1b, 'Escape'],
  superLeft: [0xffeb, 'MetaLeft'],
} as const satisfies Record<string, readonly [number, string]>;

type Key = (typeof KEY)[keyof typeof KEY];

/** Presses the keys in order, then releases them in reverse, as a person holding a chord would. */
function chord(rfb: RFB, keys: Key[]): void {
  for (const [keysym, code] of keys) rfb.sendKey(keysym, code, true);
  for (const [keysym, code] of [...keys].reverse()) rfb.sendKey(keysym, code, false);
}

/**
 * Key combinations the browser or the local system keeps for itself, so typing them never reaches
 * the remote: Ctrl+Alt+Del (the OS), Ctrl+Esc and the Windows/Super key (the local start menu).
 */
export const KEY_COMBOS: { label: string; send: (rfb: RFB) => void }[] = [
  { label: 'Ctrl+Alt+Del', send: (rfb) => rfb.sendCtrlAltDel() },
  { label: 'Ctrl+Esc', send: (rfb) => chord(rfb, [KEY.controlLeft, KEY.escape]) },
  { label: 'Windows key', send: (rfb) => chord(rfb, [KEY.superLeft]) },
];

/** The send-keys panel: one button per combination; the keyboard goes back to the remote after. */
export function KeysPanel({ rfb, done }: { rfb: RFB | null; done: () => void }) {
  return (
    <Stack gap="xs">
      {KEY_COMBOS.map((combo) => (
        <Button
          key={combo.label}
          variant="light"
          disabled={!rfb}
          onClick={() => {
            if (rfb) combo.send(rfb);
            done();
          }}
        >
          Send {combo.label}
        </Button>
      ))}
    </Stack>
  );
}
