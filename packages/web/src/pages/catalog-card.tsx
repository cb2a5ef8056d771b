import { Alert, Badge, Button, Card, Group, Image, Stack, Text } from '@mantine/core';
import { IconAlertTriangle, IconPlayerPlay } from '@tabler/icons-react';
import { templateIconUrl, type Session, type Template } from '../api.js';
import { SessionProgress } from './session-progress.js';

/** What the user can do about a failed start, read from the agent's reason. */
export function failureAdvice(reason: string | null): string {
  if (reason && /image/i.test(reason))
    return 'The app’s image is missing on the server. Ask an administrator to build or fix the image, then retry.';
  if (reason && /agent/i.test(reason))
    return 'No server could take the app just now. Retry in a minute; if it keeps failing, tell an administrator.';
  return 'Retry; if it fails again, send this reason to an administrator.';
}

/**
 * One app: its icon, name, description, category and tags, and Start. A start in progress shows
 * on the card itself (the session's progress from the live stream); a failed start stays on the
 * card with its reason and what to do, until dismissed or retried.
 */
export function CatalogCard({
  template,
  session,
  starting,
  onStart,
  onDismiss,
}: {
  template: Template;
  /** The session this card started, while it starts or after it failed. */
  session: Session | undefined;
  /** The start request is on its way (no session yet). */
  starting: boolean;
  onStart: () => void;
  onDismiss: () => void;
}) {
  const failed = session?.state === 'failed';
  // Stopped or deleted by someone meanwhile: the card is free again.
  const active = session !== undefined && ['pending', 'starting', 'running'].includes(session.state);
  const busy = starting || active;
  return (
    <Card component="li" withBorder padding="lg" data-template={template.name} className="catalog-card">
      <Group wrap="nowrap" align="flex-start">
        <Image src={templateIconUrl(template.icon)} alt="" w={44} h={44} fit="contain" />
        <div style={{ minWidth: 0 }}>
          <Text fw={600} component="h3" size="lg" m={0}>
            {template.display_name}
          </Text>
          <Group gap={4} mt={4}>
            {template.category && (
              <Badge size="sm" variant="light">
                {template.category}
              </Badge>
            )}
            {template.tags.map((tag) => (
              <Badge key={tag} size="sm" variant="outline" color="gray">
                {tag}
              </Badge>
            ))}
          </Group>
        </div>
      </Group>
      <Text size="sm" c="dimmed" mt="sm" style={{ flex: 1 }}>
        {template.description}
      </Text>
      <Stack mt="md" gap="sm">
        {session && active && <SessionProgress session={session} />}
        {failed && (
          <Alert
            color="red"
            variant="light"
            icon={<IconAlertTriangle size={18} />}
            title={`${template.display_name} did not start`}
            className="start-failure"
          >
            <Text size="sm" className="failure-reason">
              {session.state_reason ?? 'The server gave no reason.'}
            </Text>
            <Text size="sm" mt={4} fw={500}>
              {failureAdvice(session.state_reason)}
            </Text>
            <Group mt="sm" gap="xs">
              <Button size="xs" onClick={onStart}>
                Retry
              </Button>
              <Button size="xs" variant="default" onClick={onDismiss}>
                Dismiss
              </Button>
            </Group>
          </Alert>
        )}
        {!failed && (
          <Button
            onClick={onStart}
            loading={busy}
            leftSection={<IconPlayerPlay size={16} />}
            aria-label={`Start ${template.display_name}`}
            fullWidth
          >
            Start
          </Button>
        )}
      </Stack>
    </Card>
  );
}
