import { useState } from 'react';
import { Badge, Button, Card, Group, Image, Stack, Table, Text } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconPencil, IconPlus, IconTrash } from '@tabler/icons-react';
import { api, templateIconUrl } from '../api.js';
import { AdminPage, useAdminList } from './admin-page.js';
import { useConfirm } from './confirm-action.js';
import { TemplateForm } from './template-form.js';
import type { AdminTemplate } from './template-fields.js';

const resources = (t: AdminTemplate) =>
  [
    `${t.cpu_limit} cores, ${t.memory_limit_mb} MB`,
    t.persistent_home && 'persistent home',
    t.warm_pool > 0 && `warm pool ${t.warm_pool}`,
    t.idle_timeout !== null && `idle timeout ${t.idle_timeout}`,
    t.max_lifetime !== null && `max lifetime ${t.max_lifetime}`,
  ]
    .filter(Boolean)
    .join(', ');

/** Admin: the app catalog — add, edit and remove templates. */
export function Templates() {
  const { items: templates, loaded, error, run } = useAdminList<AdminTemplate>('/api/v1/templates');
  const { ask, dialog } = useConfirm();
  // `editing`: undefined = form closed, null = a new template. `formKey` remounts the form per opening.
  const [editing, setEditing] = useState<AdminTemplate | null | undefined>(undefined);
  const [formKey, setFormKey] = useState(0);
  const phone = useMediaQuery('(max-width: 48em)', false, { getInitialValueInEffect: false });
  const open = (template: AdminTemplate | null) => {
    setFormKey((k) => k + 1);
    setEditing(template);
  };
  const remove = async (t: AdminTemplate) => {
    if (
      await ask(
        `Remove ${t.display_name}?`,
        'It leaves the catalog; sessions already started from it keep running.',
        'Remove template',
      )
    )
      await run(() => api('DELETE', `/api/v1/templates/${encodeURIComponent(t.name)}`));
  };
  const actions = (t: AdminTemplate) => (
    <Group gap="xs" wrap="nowrap">
      <Button
        size="xs"
        variant="default"
        leftSection={<IconPencil size={14} aria-hidden />}
        aria-label={`Edit ${t.name}`}
        onClick={() => open(t)}
      >
        Edit
      </Button>
      <Button
        size="xs"
        variant="light"
        color="red"
        leftSection={<IconTrash size={14} aria-hidden />}
        aria-label={`Remove ${t.name}`}
        onClick={() => void remove(t)}
      >
        Remove
      </Button>
    </Group>
  );
  const icon = (t: AdminTemplate) => <Image src={templateIconUrl(t.icon)} alt="" w={32} h={32} fit="contain" />;
  const tags = (t: AdminTemplate) => (
    <Group gap={4}>
      <Badge variant="outline" radius="sm" color="gray">
        {t.category}
      </Badge>
      {t.tags.map((tag) => (
        <Badge key={tag} variant="light" radius="sm" color="gray" tt="none">
          {tag}
        </Badge>
      ))}
    </Group>
  );

  return (
    <AdminPage
      title="Templates"
      description="The app catalog: what users can start, and with which limits."
      error={error}
      actions={
        <Button data-add-template leftSection={<IconPlus size={16} aria-hidden />} onClick={() => open(null)}>
          Add template
        </Button>
      }
    >
      {dialog}
      {editing !== undefined && (
        <TemplateForm
          key={formKey}
          template={editing}
          opened
          onClose={() => setEditing(undefined)}
          onSaved={() => {
            setEditing(undefined);
            void run();
          }}
        />
      )}
      {loaded && templates.length === 0 && <Text c="dimmed">No templates yet: add the first app.</Text>}
      {phone ? (
        <Stack gap="sm">
          {templates.map((t) => (
            <Card key={t.name} withBorder data-template-row={t.name}>
              <Group wrap="nowrap" mb="xs">
                {icon(t)}
                <div>
                  <Text fw={600}>{t.display_name}</Text>
                  <Text size="xs" c="dimmed">
                    {t.name} · {t.platform}
                  </Text>
                </div>
              </Group>
              {tags(t)}
              <Text size="sm" mt="xs" style={{ overflowWrap: 'anywhere' }}>
                {t.image}
              </Text>
              <Text size="sm" c="dimmed" mb="sm">
                {resources(t)}
              </Text>
              {actions(t)}
            </Card>
          ))}
        </Stack>
      ) : (
        <Table.ScrollContainer minWidth={900}>
          <Table verticalSpacing="sm" striped aria-label="Templates">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>App</Table.Th>
                <Table.Th>Category and tags</Table.Th>
                <Table.Th>Image</Table.Th>
                <Table.Th>Resources</Table.Th>
                <Table.Th>Platform</Table.Th>
                <Table.Th>Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {templates.map((t) => (
                <Table.Tr key={t.name} data-template-row={t.name}>
                  <Table.Td>
                    <Group wrap="nowrap" gap="sm">
                      {icon(t)}
                      <div>
                        <Text fw={600}>{t.display_name}</Text>
                        <Text size="xs" c="dimmed">
                          {t.name}
                        </Text>
                      </div>
                    </Group>
                  </Table.Td>
                  <Table.Td>{tags(t)}</Table.Td>
                  <Table.Td style={{ overflowWrap: 'anywhere' }}>{t.image}</Table.Td>
                  <Table.Td>{resources(t)}</Table.Td>
                  <Table.Td>{t.platform}</Table.Td>
                  <Table.Td>{actions(t)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </AdminPage>
  );
}
