import { Card, Group, SimpleGrid, Skeleton, Stack } from '@mantine/core';

/** Placeholder cards while a list loads, shaped like the cards that will replace them. */
export function CardGridSkeleton({ count = 6 }: { count?: number }) {
  return (
    <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} aria-busy="true" aria-label="Loading">
      {Array.from({ length: count }, (_, i) => (
        <Card key={i} withBorder padding="lg">
          <Group>
            <Skeleton height={40} width={40} radius="md" />
            <Skeleton height={16} width="50%" />
          </Group>
          <Stack gap={6} mt="md">
            <Skeleton height={10} />
            <Skeleton height={10} width="80%" />
          </Stack>
          <Skeleton height={32} mt="md" />
        </Card>
      ))}
    </SimpleGrid>
  );
}

/** Placeholder lines while a section (a form, a table) loads. */
export function SectionSkeleton({ lines = 3 }: { lines?: number }) {
  return (
    <Stack gap="xs" aria-busy="true" aria-label="Loading">
      {Array.from({ length: lines }, (_, i) => (
        <Skeleton key={i} height={14} width={i === lines - 1 ? '60%' : '100%'} />
      ))}
    </Stack>
  );
}
