import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import {
  AppShell,
  Burger,
  Button,
  Drawer,
  Group,
  NavLink,
  Stack,
  Text,
  ThemeIcon,
  UnstyledButton,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconCloudComputing } from '@tabler/icons-react';
import { api, type Me } from '../api.js';
import { navItemsFor, type NavItem } from './nav-items.js';
import { UserMenu } from './user-menu.js';

const MeContext = createContext<Me | null>(null);
/** The signed-in user, as the shell loaded it (null while loading). */
export const useMe = () => useContext(MeContext);

const isCurrent = (item: NavItem, route: string) => item.routes.includes(route.split('?')[0]!);

/**
 * The frame of every signed-in page except the viewer: a header with the product name, the
 * navigation (a drawer behind a burger on phones) and the user menu; the page below.
 */
export function Shell({ route, children }: { route: string; children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [drawerOpen, drawer] = useDisclosure(false);
  useEffect(() => {
    // A failure here (a logged-out token) is handled by api(); the shell just shows no name.
    api<Me>('GET', '/api/v1/users/me').then(setMe, () => undefined);
  }, []);
  // A link followed from the drawer closes it.
  const { close } = drawer;
  useEffect(() => close(), [route, close]);
  const items = navItemsFor(me?.role);
  return (
    <MeContext.Provider value={me}>
      <AppShell header={{ height: 60 }} padding="md">
        <AppShell.Header>
          <Group h="100%" px="md" justify="space-between" wrap="nowrap">
            <Group gap="sm" wrap="nowrap">
              <Burger opened={drawerOpen} onClick={drawer.toggle} hiddenFrom="md" size="sm" aria-label="Navigation" />
              <UnstyledButton component="a" href="#/" aria-label="StreamSpace home">
                <Group gap={8} wrap="nowrap">
                  <ThemeIcon size="lg" radius="md" variant="filled" aria-hidden>
                    <IconCloudComputing size={20} />
                  </ThemeIcon>
                  <Text fw={700} size="lg">
                    StreamSpace
                  </Text>
                </Group>
              </UnstyledButton>
              <Group component="nav" aria-label="Main" gap={4} visibleFrom="md" ml="md" wrap="nowrap">
                {items.map((item) => (
                  <Button
                    key={item.href}
                    component="a"
                    href={item.href}
                    size="compact-md"
                    // Filled, not light: indigo on the light tint drops under 4.5:1 when hovered.
                    variant={isCurrent(item, route) ? 'filled' : 'subtle'}
                    color={isCurrent(item, route) ? undefined : 'gray'}
                    aria-current={isCurrent(item, route) ? 'page' : undefined}
                  >
                    {item.label}
                  </Button>
                ))}
              </Group>
            </Group>
            <UserMenu me={me} />
          </Group>
        </AppShell.Header>
        <Drawer
          opened={drawerOpen}
          onClose={drawer.close}
          title="StreamSpace"
          size={280}
          hiddenFrom="md"
          closeButtonProps={{ 'aria-label': 'Close navigation' }}
        >
          <Stack component="nav" aria-label="Main" gap={2}>
            {items.map((item) => (
              <NavLink
                key={item.href}
                component="a"
                href={item.href}
                label={item.label}
                active={isCurrent(item, route)}
                variant="filled"
                aria-current={isCurrent(item, route) ? 'page' : undefined}
                onClick={drawer.close}
              />
            ))}
          </Stack>
        </Drawer>
        <AppShell.Main>{children}</AppShell.Main>
      </AppShell>
    </MeContext.Provider>
  );
}
