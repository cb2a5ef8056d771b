import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { Alert, Stack } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import { api } from '../api.js';
import { PageHeader } from '../ui/page-header.js';

/**
 * An admin list: loads `path`, and `run(action)` performs a change then reloads, showing the API's
 * message on failure.
 */
export function useAdminList<T>(path: string) {
  const [items, setItems] = useState<T[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(
    (action: () => Promise<unknown> = async () => undefined) => {
      setError(null);
      return action().then(
        () =>
          api<T[]>('GET', path).then((list) => {
            setItems(list);
            setLoaded(true);
          }),
        (e: Error) => setError(e.message),
      );
    },
    [path],
  );
  useEffect(() => void run(), [run]);
  return { items, loaded, error, run };
}

/** An admin page inside the app shell (which has the navigation): its title, what it is for, the
 * last error the API gave, and the page itself. */
export function AdminPage({
  title,
  description,
  error,
  actions,
  children,
}: {
  title: string;
  description?: string;
  error: string | null;
  actions?: ReactNode;
  children: ReactNode;
}) {
  return (
    <Stack gap="md" p={{ base: 'xs', sm: 'md' }} maw={1400} mx="auto">
      <PageHeader title={title} description={description} mb={0}>
        {actions}
      </PageHeader>
      {error && (
        <Alert color="red" variant="light" title="The server refused" icon={<IconAlertCircle aria-hidden />}>
          {error}
        </Alert>
      )}
      {children}
    </Stack>
  );
}
