import { useState } from 'react';
import { Button, Card, Group, Image, Modal, Stack, Text } from '@mantine/core';
import { IconExternalLink, IconShare, IconTrash } from '@tabler/icons-react';
import { isViewable, requestableFrom, type RequestableState } from '@streamspace/protocol/session-state-groups';
import { templateIconUrl, type Session, type Template } from '../api.js';
import { StateBadge } from '../ui/state-badge.js';
import { SessionProgress } from './session-progress.js';

/** The button for each state a user may ask for; which buttons a session shows comes from the
 * protocol's state table, the same one the API checks requests against. */
const ACTION_LABELS: Record<RequestableState, string> = { running: 'Resume', hibernated: 'Hibernate', stopped: 'Stop' };

/** "3 min ago", "2 h ago", "5 days ago": enough to tell sessions apart at a glance. */
export function age(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  const days = Math.floor(seconds / 86_400);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

/** One session: its app, state (badge), age, agent and region, progress or reason, and actions. */
export function SessionCard({
  session: s,
  template,
  onRequest,
  onDelete,
  onShare,
}: {
  session: Session;
  template: Template | undefined;
  onRequest: (state: RequestableState) => void;
  onDelete: () => void;
  onShare: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const name = template?.display_name ?? s.template;
  return (
    <Card component="li" withBorder padding="md" data-session={s.id} data-state={s.state} className="session-card">
      <Group justify="space-between" wrap="nowrap" align="flex-start">
        <Group wrap="nowrap" gap="sm" style={{ minWidth: 0 }}>
          <Image src={templateIconUrl(template?.icon ?? null)} alt="" w={36} h={36} fit="contain" />
          <div style={{ minWidth: 0 }}>
            <Text fw={600} component="h3" m={0} truncate>
              {name}
            </Text>
            <Text size="xs" c="dimmed">
              started {age(s.created_at)}
            </Text>
          </div>
        </Group>
        <StateBadge state={s.state} />
      </Group>
      <Text size="sm" mt="xs" className="placement">
        {s.agent_id ? (
          <>
            on <span className="agent">{s.agent_id}</span>
            {s.agent_region ? <> · region {s.agent_region}</> : <> · no region</>}
          </>
        ) : (
          'not placed on an agent yet'
        )}
      </Text>
      <Stack mt="xs" gap="xs" style={{ flex: 1 }}>
        <SessionProgress session={s} />
      </Stack>
      <Group mt="md" gap="xs">
        {isViewable(s.state) && (
          <Button component="a" href={`#/view/${s.id}`} size="xs" leftSection={<IconExternalLink size={14} />}>
            Open
          </Button>
        )}
        {requestableFrom(s.state).map((state) => (
          <Button key={state} size="xs" variant="light" onClick={() => onRequest(state)}>
            {ACTION_LABELS[state]}
          </Button>
        ))}
        <Button size="xs" variant="default" leftSection={<IconShare size={14} />} onClick={onShare}>
          Share
        </Button>
        <Button
          size="xs"
          variant="subtle"
          color="red"
          leftSection={<IconTrash size={14} />}
          onClick={() => setConfirming(true)}
        >
          Delete
        </Button>
      </Group>
      <Modal opened={confirming} onClose={() => setConfirming(false)} title={`Delete ${name}?`} size="sm">
        <Text size="sm">
          The session and its container are removed; anything not saved in a persistent home folder is lost.
        </Text>
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={() => setConfirming(false)}>
            Cancel
          </Button>
          <Button
            color="red"
            onClick={() => {
              setConfirming(false);
              onDelete();
            }}
          >
            Delete session
          </Button>
        </Group>
      </Modal>
    </Card>
  );
}
