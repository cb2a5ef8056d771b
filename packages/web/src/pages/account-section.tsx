import type { ReactNode } from 'react';
import { Alert, Paper, Text, Title } from '@mantine/core';

export type Message = { error: boolean; text: string } | null;

/** A form's outcome: an alert when it failed, a status line when it worked. */
export function Notice({ message }: { message: Message }) {
  if (!message) return null;
  return message.error ? (
    <Alert color="red" variant="light" className="error" mb="sm">
      {message.text}
    </Alert>
  ) : (
    <Alert color="green" variant="light" role="status" mb="sm">
      {message.text}
    </Alert>
  );
}

/** One titled section of the Account page. */
export function AccountSection({
  id,
  title,
  description,
  children,
}: {
  id: string;
  title: ReactNode;
  description?: ReactNode;
  children: ReactNode;
}) {
  return (
    <Paper component="section" aria-labelledby={id} withBorder p={{ base: 'md', sm: 'lg' }} radius="md">
      <Title order={2} size="h4" id={id}>
        {title}
      </Title>
      {description && (
        <Text size="sm" c="dimmed" mt={4}>
          {description}
        </Text>
      )}
      <div style={{ marginTop: 'var(--mantine-spacing-md)' }}>{children}</div>
    </Paper>
  );
}
