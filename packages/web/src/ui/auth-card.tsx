import type { ReactNode } from 'react';
import { Box, Center, Group, Paper, Text, ThemeIcon, Title } from '@mantine/core';
import { IconCloudComputing } from '@tabler/icons-react';

/** The signed-out pages' frame: a centred card under the product's name, no shell. */
export function AuthCard({ subtitle, children }: { subtitle: string; children: ReactNode }) {
  return (
    <Center component="main" mih="100vh" p="md" className="login">
      <Box w="100%" maw={400}>
        <Group justify="center" gap="xs" mb="md">
          <ThemeIcon size="xl" radius="md" aria-hidden>
            <IconCloudComputing size={26} />
          </ThemeIcon>
          <Title order={1} size="h2">
            StreamSpace
          </Title>
        </Group>
        <Paper withBorder shadow="sm" radius="md" p="xl">
          <Text c="dimmed" size="sm" mb="md">
            {subtitle}
          </Text>
          {children}
        </Paper>
      </Box>
    </Center>
  );
}
