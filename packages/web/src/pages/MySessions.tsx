import { useEffect, useState } from 'react';
import { Button, SimpleGrid } from '@mantine/core';
import { IconDeviceDesktopOff } from '@tabler/icons-react';
import { api, type Session, type Template } from '../api.js';
import { Empty } from '../ui/empty-state.js';
import { CardGridSkeleton } from '../ui/loading.js';
import { PageHeader } from '../ui/page-header.js';
import { withErrorToast } from '../ui/toasts.js';
import { useLiveSessions } from '../ui/use-live-sessions.js';
import { useMe } from '../ui/app-shell.js';
import { SessionCard } from './session-card.js';
import { ShareDialog } from './share-dialog.js';

/** My sessions (`#/sessions`): a card per session, kept current by the live stream. */
export function MySessions() {
  const { sessions, upsert } = useLiveSessions(useMe()?.id);
  const [templates, setTemplates] = useState<Template[]>([]);
  const [sharing, setSharing] = useState<string | null>(null);
  // The ages on the cards move on without any server event.
  const [, tick] = useState(0);
  useEffect(() => {
    api<Template[]>('GET', '/api/v1/templates').then(setTemplates, () => undefined);
    const timer = setInterval(() => tick((n) => n + 1), 30_000);
    return () => clearInterval(timer);
  }, []);
  const act = (title: string, action: () => Promise<Session>) =>
    void withErrorToast(async () => upsert(await action()), title);

  return (
    <>
      <PageHeader title="My sessions" description="Your desktops and apps: open, pause, stop, share or delete them." />
      {sessions === null ? (
        <CardGridSkeleton count={3} />
      ) : sessions.length === 0 ? (
        <Empty
          icon={<IconDeviceDesktopOff size={28} />}
          title="No sessions"
          description="You have no sessions. Start an app from the catalog; it shows up here while it lives."
          action={
            <Button component="a" href="#/">
              Browse apps
            </Button>
          }
        />
      ) : (
        <SimpleGrid
          component="ul"
          cols={{ base: 1, sm: 2, lg: 3 }}
          p={0}
          m={0}
          className="sessions"
          aria-label="Sessions"
        >
          {sessions.map((s) => (
            <SessionCard
              key={s.id}
              session={s}
              template={templates.find((t) => t.name === s.template)}
              onRequest={(state) =>
                act('The session did not change', () => api<Session>('PATCH', `/api/v1/sessions/${s.id}`, { state }))
              }
              onDelete={() =>
                act('The session was not deleted', () => api<Session>('DELETE', `/api/v1/sessions/${s.id}`))
              }
              onShare={() => setSharing(s.id)}
            />
          ))}
        </SimpleGrid>
      )}
      {sharing && <ShareDialog sessionId={sharing} onClose={() => setSharing(null)} />}
    </>
  );
}
