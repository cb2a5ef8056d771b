import type { ReactNode } from 'react';
import { Group, Text, Title, type MantineSpacing } from '@mantine/core';

/** A page's title, a line saying what the page is for, and the page's own controls on the right. */
export function PageHeader({
  title,
  description,
  children,
  mb = 'lg',
}: {
  title: string;
  description?: string;
  children?: ReactNode;
  /** Space below; 0 inside a Stack that spaces its children itself. */
  mb?: MantineSpacing | 0;
}) {
  return (
    <Group justify="space-between" align="flex-end" mb={mb} gap="sm">
      <div>
        <Title order={1} size="h2">
          {title}
        </Title>
        {description && (
          <Text c="dimmed" size="sm">
            {description}
          </Text>
        )}
      </div>
      {children}
    </Group>
  );
}
