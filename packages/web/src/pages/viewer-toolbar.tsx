import { useEffect, useRef, useState, type ReactNode } from 'react';
import { ActionIcon, Group, Paper, Popover, Tooltip } from '@mantine/core';
import { IconChevronDown } from '@tabler/icons-react';

/**
 * One toolbar entry: a button that either runs `action` or opens `panel` in a popover. The viewer's
 * toolbar is the list `VIEWER_TOOLBAR_ITEMS` (viewer-items.tsx); a new control is one more entry.
 */
export interface ViewerToolbarItem<C> {
  id: string;
  /** The button's accessible name and tooltip (also the panel's name). */
  label: string | ((controls: C) => string);
  icon: ReactNode | ((controls: C) => ReactNode);
  action?: (controls: C) => void;
  /** The panel's content; `done()` closes it and gives the keyboard back to the remote. */
  panel?: (controls: C, done: () => void) => ReactNode;
  panelWidth?: number;
  hidden?: (controls: C) => boolean;
  disabled?: (controls: C) => boolean;
}

const resolve = <C, T>(value: T | ((controls: C) => T), controls: C): T =>
  typeof value === 'function' ? (value as (controls: C) => T)(controls) : value;

/** How close to the top edge (px) a mouse has to come to bring the toolbar out. */
const EDGE_PX = 8;
/** Marks panel popovers (rendered in a portal, outside the bar) as part of the toolbar. */
const PANEL_ATTRIBUTE = 'data-viewer-panel';

/**
 * The auto-hiding toolbar at the top of the viewer. It shows while the mouse is at the top edge or
 * over it, while anything in it has focus, while a panel is open (it never hides then), after a
 * tap on its handle (touch has no hover), and whenever `pinned` (not connected: the state and
 * Reconnect must stay in view). F8 (TigerVNC's menu key) brings it out from the remote screen and
 * focuses its first button, since Tab there belongs to the remote; Escape in it gives the keyboard
 * back to the remote.
 */
export function ViewerToolbar<C>({
  items,
  controls,
  pinned,
  focusRemote,
  portalTarget,
  children,
}: {
  items: ViewerToolbarItem<C>[];
  controls: C;
  pinned: boolean;
  focusRemote: () => void;
  /** Where panels and tooltips render: inside the element that goes fullscreen, or they would not show there. */
  portalTarget: HTMLElement | null;
  /** Shown first in the bar: the connection indicator and badges. */
  children?: ReactNode;
}) {
  const [open, setOpen] = useState<string | null>(null);
  const [hover, setHover] = useState(false);
  const [focusWithin, setFocusWithin] = useState(false);
  const [revealed, setRevealed] = useState(false);
  const bar = useRef<HTMLDivElement>(null);
  const buttons = useRef(new Map<string, HTMLButtonElement>());
  const shown = pinned || hover || focusWithin || open !== null || revealed;

  useEffect(() => {
    const inToolbar = (target: EventTarget | null) =>
      target instanceof Element && (!!bar.current?.contains(target) || !!target.closest(`[${PANEL_ATTRIBUTE}]`));
    // Capture phase: noVNC stops the pointer events on its canvas from bubbling.
    const onMove = (event: PointerEvent) => {
      if (event.pointerType === 'mouse') setHover(event.clientY <= EDGE_PX || inToolbar(event.target));
    };
    const onDown = (event: PointerEvent) => {
      if (inToolbar(event.target)) return;
      setOpen(null);
      setRevealed(false);
      // Focus leaves with this press (to the remote or the page); a focused field that closes with
      // its panel is removed without a blur event, which would leave the toolbar out.
      setFocusWithin(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'F8') return;
      event.preventDefault();
      event.stopPropagation(); // not sent to the remote
      setRevealed(true);
      bar.current?.querySelector<HTMLButtonElement>('button:not(:disabled)')?.focus();
    };
    document.addEventListener('pointermove', onMove, true);
    document.addEventListener('pointerdown', onDown, true);
    document.addEventListener('keydown', onKey, true);
    return () => {
      document.removeEventListener('pointermove', onMove, true);
      document.removeEventListener('pointerdown', onDown, true);
      document.removeEventListener('keydown', onKey, true);
    };
  }, []);

  const close = (id: string, backTo: 'remote' | 'button') => {
    setOpen((current) => (current === id ? null : current));
    setRevealed(false);
    if (backTo === 'remote') focusRemote();
    else buttons.current.get(id)?.focus();
  };

  const visible = items.filter((item) => !item.hidden?.(controls));
  const portal = portalTarget ? { target: portalTarget } : undefined;
  return (
    <>
      {!shown && (
        <ActionIcon
          className="viewer-handle"
          variant="filled"
          size="md"
          aria-label="Show toolbar"
          onClick={() => setRevealed(true)}
        >
          <IconChevronDown size={18} aria-hidden />
        </ActionIcon>
      )}
      <Paper
        ref={bar}
        role="toolbar"
        aria-label="Viewer controls"
        className="viewer-toolbar"
        data-shown={shown || undefined}
        shadow="md"
        radius="md"
        p={6}
        withBorder
        onFocus={() => setFocusWithin(true)}
        onBlur={(event) => setFocusWithin(!!bar.current?.contains(event.relatedTarget as Node | null))}
        onKeyDown={(event) => {
          if (event.key === 'Escape' && open === null) {
            setRevealed(false);
            focusRemote();
          }
        }}
      >
        {/* On a phone the indicator takes a row of its own above the buttons. */}
        <Group gap={4} wrap="wrap" justify="center">
          {children}
          {visible.map((item) => {
            const label = resolve(item.label, controls);
            const button = (
              <Tooltip label={label} key={item.id} disabled={open === item.id} portalProps={portal}>
                <ActionIcon
                  ref={(element) =>
                    void (element ? buttons.current.set(item.id, element) : buttons.current.delete(item.id))
                  }
                  variant={open === item.id ? 'filled' : 'subtle'}
                  size="lg"
                  aria-label={label}
                  data-item={item.id}
                  disabled={item.disabled?.(controls)}
                  onClick={() => {
                    if (item.panel) setOpen((current) => (current === item.id ? null : item.id));
                    else item.action?.(controls);
                  }}
                >
                  {resolve(item.icon, controls)}
                </ActionIcon>
              </Tooltip>
            );
            if (!item.panel) return button;
            return (
              <Popover
                key={item.id}
                opened={open === item.id}
                // Escape: back to its button (Mantine also calls onClose whenever `opened` turns false).
                onDismiss={() => close(item.id, 'button')}
                closeOnClickOutside={false}
                portalProps={portal}
                trapFocus
                returnFocus={false}
                position="bottom"
                width={item.panelWidth ?? 320}
                shadow="md"
                withArrow
              >
                <Popover.Target>{button}</Popover.Target>
                <Popover.Dropdown {...{ [PANEL_ATTRIBUTE]: item.id }} aria-label={label}>
                  {open === item.id && item.panel(controls, () => close(item.id, 'remote'))}
                </Popover.Dropdown>
              </Popover>
            );
          })}
        </Group>
      </Paper>
    </>
  );
}
