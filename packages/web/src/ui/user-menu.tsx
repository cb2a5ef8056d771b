import {
  Avatar,
  Group,
  Menu,
  Text,
  UnstyledButton,
  VisuallyHidden,
  useMantineColorScheme,
  type MantineColorScheme,
} from '@mantine/core';
import { IconBrightnessAuto, IconCheck, IconLogout, IconMoon, IconSun, IconUser } from '@tabler/icons-react';
import { logOut, type Me } from '../api.js';

const SCHEMES: Array<{ value: MantineColorScheme; label: string; icon: typeof IconSun }> = [
  { value: 'light', label: 'Light theme', icon: IconSun },
  { value: 'dark', label: 'Dark theme', icon: IconMoon },
  { value: 'auto', label: 'Theme of the system', icon: IconBrightnessAuto },
];

/** Who is signed in (name, role), the way to their Account page, the theme, and Log out. */
export function UserMenu({ me }: { me: Me | null }) {
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  const name = me?.display_name || me?.username || '…';
  return (
    // No initial-focus placeholder: a focusable role=presentation child of role=menu fails axe's
    // aria-required-children; focus goes to the first item instead.
    <Menu position="bottom-end" width={240} withinPortal withInitialFocusPlaceholder={false}>
      <Menu.Target>
        {/* The accessible name includes the visible name (WCAG 2.5.3, label in name). */}
        <UnstyledButton aria-label={`User menu of ${name}`} className="user-menu-button" p={4}>
          <Group gap="xs" wrap="nowrap">
            {/* An icon, not initials: letters there would be visible text missing from the button's name. */}
            <Avatar size="sm" radius="xl" color="indigo" aria-hidden>
              <IconUser size={16} />
            </Avatar>
            <Text size="sm" fw={500} visibleFrom="sm" truncate maw={160}>
              {name}
            </Text>
          </Group>
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>
          <Text size="sm" fw={600} c="var(--mantine-color-text)">
            {name}
          </Text>
          <Text size="xs">
            {me?.username} · {me?.role}
          </Text>
        </Menu.Label>
        <Menu.Item component="a" href="#/account" leftSection={<IconUser size={16} />}>
          Account
        </Menu.Item>
        <Menu.Divider />
        <Menu.Label>Theme</Menu.Label>
        {SCHEMES.map(({ value, label, icon: Icon }) => (
          <Menu.Item
            key={value}
            leftSection={<Icon size={16} />}
            rightSection={colorScheme === value ? <IconCheck size={14} /> : null}
            onClick={() => setColorScheme(value)}
            closeMenuOnClick={false}
          >
            {label}
            {colorScheme === value && <VisuallyHidden> (current)</VisuallyHidden>}
          </Menu.Item>
        ))}
        <Menu.Divider />
        <Menu.Item
          leftSection={<IconLogout size={16} color="var(--mantine-color-red-8)" />}
          onClick={() => void logOut()}
        >
          Log out
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
