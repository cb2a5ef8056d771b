import { useEffect, useMemo, useState } from 'react';
import { Button, Chip, Group, ScrollArea, SimpleGrid, TextInput } from '@mantine/core';
import { IconApps, IconSearch } from '@tabler/icons-react';
import { api, type Session, type Template } from '../api.js';
import { CardGridSkeleton } from '../ui/loading.js';
import { Empty } from '../ui/empty-state.js';
import { PageHeader } from '../ui/page-header.js';
import { toastError } from '../ui/toasts.js';
import { useLiveSessions } from '../ui/use-live-sessions.js';
import { useMe } from '../ui/app-shell.js';
import { CatalogCard } from './catalog-card.js';

const ALL = '';

/** Whether an app matches the search words: every word in its name, description, category or tags. */
export function matchesSearch(template: Template, search: string): boolean {
  const haystack = [template.name, template.display_name, template.description, template.category, ...template.tags]
    .join(' ')
    .toLowerCase();
  return search
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => haystack.includes(word));
}

/** The Apps page: search, a category filter and a card per app; Start follows the session to the viewer. */
export function Catalog() {
  const [templates, setTemplates] = useState<Template[] | null>(null);
  const [search, setSearch] = useState('');
  const [category, setCategory] = useState(ALL);
  // template name → the session its card started (kept while it starts, and after it fails).
  const [started, setStarted] = useState<Record<string, string>>({});
  const [requesting, setRequesting] = useState<Record<string, boolean>>({});
  const { sessions, upsert } = useLiveSessions(useMe()?.id);

  useEffect(() => {
    api<Template[]>('GET', '/api/v1/templates').then(setTemplates, (error) => {
      setTemplates([]);
      toastError(error, 'Could not load the apps');
    });
  }, []);

  const sessionOf = (name: string): Session | undefined =>
    started[name] === undefined ? undefined : sessions?.find((s) => s.id === started[name]);

  // A started session that runs opens in the viewer; one stopped or deleted meanwhile is let go.
  useEffect(() => {
    for (const id of Object.values(started)) {
      const session = sessions?.find((s) => s.id === id);
      if (session?.state === 'running') location.hash = `#/view/${id}`;
    }
  }, [sessions, started]);

  const start = async (template: Template) => {
    setRequesting((r) => ({ ...r, [template.name]: true }));
    try {
      const session = await api<Session>('POST', '/api/v1/sessions', { template: template.name });
      upsert(session);
      setStarted((s) => ({ ...s, [template.name]: session.id }));
    } catch (error) {
      toastError(error, `${template.display_name} could not start`);
    } finally {
      setRequesting((r) => ({ ...r, [template.name]: false }));
    }
  };
  const dismiss = (name: string) => setStarted(({ [name]: _dropped, ...rest }) => rest);

  const categories = useMemo(
    () => [...new Set((templates ?? []).map((t) => t.category).filter(Boolean))].sort(),
    [templates],
  );
  const shown = (templates ?? []).filter(
    (t) => (category === ALL || t.category === category) && matchesSearch(t, search),
  );

  return (
    <>
      <PageHeader title="Apps" description="Start an app: it opens in your browser when it is ready.">
        <TextInput
          type="search"
          aria-label="Search apps"
          placeholder="Search apps"
          leftSection={<IconSearch size={16} />}
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          w={{ base: '100%', xs: 280 }}
        />
      </PageHeader>
      {categories.length > 1 && (
        <ScrollArea type="never" mb="md">
          <Chip.Group multiple={false} value={category} onChange={setCategory}>
            <Group gap="xs" wrap="nowrap" role="group" aria-label="Category">
              <Chip value={ALL} size="sm">
                All
              </Chip>
              {categories.map((c) => (
                <Chip key={c} value={c} size="sm">
                  {c}
                </Chip>
              ))}
            </Group>
          </Chip.Group>
        </ScrollArea>
      )}
      {templates === null ? (
        <CardGridSkeleton />
      ) : shown.length === 0 ? (
        templates.length === 0 ? (
          <Empty
            icon={<IconApps size={28} />}
            title="No apps yet"
            description="An administrator adds apps on the Templates page; ask yours to add one."
          />
        ) : (
          <Empty
            icon={<IconSearch size={28} />}
            title="No app matches"
            description={`Nothing matches “${search}”${category ? ` in ${category}` : ''}.`}
            action={
              <Button
                variant="light"
                onClick={() => {
                  setSearch('');
                  setCategory(ALL);
                }}
              >
                Show all apps
              </Button>
            }
          />
        )
      ) : (
        <SimpleGrid component="ul" cols={{ base: 1, sm: 2, lg: 3 }} p={0} m={0} className="catalog" aria-label="Apps">
          {shown.map((t) => (
            <CatalogCard
              key={t.name}
              template={t}
              session={sessionOf(t.name)}
              starting={requesting[t.name] === true}
              onStart={() => void start(t)}
              onDismiss={() => dismiss(t.name)}
            />
          ))}
        </SimpleGrid>
      )}
    </>
  );
}
