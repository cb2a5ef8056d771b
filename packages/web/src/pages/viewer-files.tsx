import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import {
  ActionIcon,
  Alert,
  Anchor,
  Breadcrumbs,
  Button,
  CloseButton,
  FileButton,
  Group,
  Paper,
  Progress,
  ScrollArea,
  Stack,
  Table,
  Text,
  Title,
  UnstyledButton,
} from '@mantine/core';
import { IconArrowUp, IconDownload, IconFile, IconFolder, IconRefresh, IconUpload, IconX } from '@tabler/icons-react';
import {
  downloadFile,
  formatSize,
  joinPath,
  listFiles,
  parentPath,
  uploadFile,
  type Listing,
} from './file-transfers.js';

export { uploadFiles, uploadFile, downloadFile, listFiles } from './file-transfers.js';

interface Transfer {
  id: number;
  name: string;
  direction: 'upload' | 'download';
  loaded: number;
  total: number;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  error?: string;
  controller: AbortController;
}

/**
 * Calls `onFiles` with the files dropped on `target` (the remote screen), and says whether files
 * are being dragged over it. Only drags that carry files are taken: text dragged inside the
 * desktop is left to it.
 */
export function useFileDrop(target: RefObject<HTMLElement | null>, onFiles: (files: File[]) => void): boolean {
  const [dragging, setDragging] = useState(false);
  const latest = useRef(onFiles);
  latest.current = onFiles;
  useEffect(() => {
    const element = target.current;
    if (!element) return;
    const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false;
    const over = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
      setDragging(true);
    };
    const leave = () => setDragging(false);
    const drop = (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      setDragging(false);
      const files = [...(event.dataTransfer?.files ?? [])];
      if (files.length > 0) latest.current(files);
    };
    element.addEventListener('dragenter', over);
    element.addEventListener('dragover', over);
    element.addEventListener('dragleave', leave);
    element.addEventListener('drop', drop);
    return () => {
      element.removeEventListener('dragenter', over);
      element.removeEventListener('dragover', over);
      element.removeEventListener('dragleave', leave);
      element.removeEventListener('drop', drop);
    };
  }, [target]);
  return dragging;
}

/**
 * The viewer's file panel: the session user's home, a folder at a time; a click on a file
 * downloads it; uploads by the button or by dropping files on `dropTarget` (the remote screen),
 * into the folder shown. Each upload has a progress bar and a cancel button; a download is handed
 * to the browser's own download manager (streamed to disk, its progress shown there); errors are
 * said in words. `shareToken`: a control share's guest's link token. `hidden` keeps it mounted (drops still
 * upload, and `onDrop` can show it).
 */
export function FilePanel({
  sessionId,
  onClose,
  shareToken,
  dropTarget,
  hidden = false,
  onDrop,
}: {
  sessionId: string;
  onClose(): void;
  shareToken?: string;
  dropTarget?: RefObject<HTMLElement | null>;
  hidden?: boolean;
  onDrop?(): void;
}) {
  const [path, setPath] = useState('');
  const [listing, setListing] = useState<Listing | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [transfers, setTransfers] = useState<Transfer[]>([]);
  const nextId = useRef(1);
  const current = listing?.path ?? path;

  const refresh = useCallback(
    (to: string) => {
      setError(undefined);
      listFiles(sessionId, to, shareToken).then(
        (result) => {
          setListing(result);
          setPath(result.path);
        },
        (failure: Error) => setError(failure.message),
      );
    },
    [sessionId, shareToken],
  );
  useEffect(() => {
    if (!hidden) refresh(path);
    // Listed when shown, and again on each navigation (refresh is called there).
  }, [hidden, sessionId]);

  const track = (name: string, direction: Transfer['direction'], total: number) => {
    const transfer: Transfer = {
      id: nextId.current++,
      name,
      direction,
      loaded: 0,
      total,
      state: 'running',
      controller: new AbortController(),
    };
    setTransfers((all) => [...all, transfer]);
    const update = (change: Partial<Transfer>) =>
      setTransfers((all) => all.map((t) => (t.id === transfer.id ? { ...t, ...change } : t)));
    const settle = (work: Promise<void>, after?: () => void) =>
      work.then(
        () => {
          update({ state: 'done' });
          after?.();
        },
        (failure: Error) =>
          update(failure.name === 'AbortError' ? { state: 'cancelled' } : { state: 'failed', error: failure.message }),
      );
    return { transfer, update, settle };
  };

  const upload = (files: File[]) => {
    const dir = current || listing?.home || '';
    for (const file of files) {
      const { transfer, update, settle } = track(file.name, 'upload', file.size);
      if (listing && file.size > listing.upload_max) {
        update({
          state: 'failed',
          error: `Too large: ${file.name} is ${formatSize(file.size)}, more than the ${formatSize(listing.upload_max)} a session accepts`,
        });
        continue;
      }
      void settle(
        uploadFile(sessionId, dir ? joinPath(dir, file.name) : file.name, file, {
          shareToken,
          signal: transfer.controller.signal,
          onProgress: (loaded, total) => update({ loaded, total }),
        }),
        () => refresh(dir),
      );
    }
  };
  const download = (name: string, size: number) => {
    const { transfer, settle } = track(name, 'download', size);
    void settle(downloadFile(sessionId, joinPath(current, name), { shareToken, signal: transfer.controller.signal }));
  };

  useFileDrop(dropTarget ?? { current: null }, (files) => {
    onDrop?.();
    upload(files);
  });

  const home = listing?.home ?? '';
  const crumbs = current.startsWith(home) ? current.slice(home.length).split('/').filter(Boolean) : [];
  return (
    <Paper
      component="aside"
      aria-label="Files"
      hidden={hidden}
      withBorder
      shadow="md"
      p="sm"
      pos="fixed"
      top={64}
      right={8}
      w={400}
      style={{
        zIndex: 200,
        maxHeight: 'calc(100vh - 80px)',
        display: hidden ? 'none' : 'flex',
        flexDirection: 'column',
      }}
    >
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h4">
          Files
        </Title>
        <Group gap={4}>
          <ActionIcon variant="subtle" aria-label="Refresh" onClick={() => refresh(current)}>
            <IconRefresh size={18} />
          </ActionIcon>
          <CloseButton aria-label="Close files" onClick={onClose} />
        </Group>
      </Group>
      <Group justify="space-between" mb="xs" wrap="nowrap">
        <Breadcrumbs separator="/" aria-label="Folder">
          <Anchor c="indigo.8" component="button" type="button" onClick={() => refresh('')}>
            home
          </Anchor>
          {crumbs.map((part, i) => (
            <Anchor
              key={i}
              c="indigo.8"
              component="button"
              type="button"
              onClick={() => refresh(`${home}/${crumbs.slice(0, i + 1).join('/')}`)}
            >
              {part}
            </Anchor>
          ))}
        </Breadcrumbs>
        <FileButton multiple onChange={(files) => upload(files)}>
          {(props) => (
            <Button {...props} size="xs" color="indigo.8" leftSection={<IconUpload size={16} />}>
              Upload
            </Button>
          )}
        </FileButton>
      </Group>
      <Text size="xs" c="gray.7" mb="xs">
        Or drop files on the desktop to upload them here.
      </Text>
      {error ? (
        <Alert color="red" role="alert" mb="xs" title="Files unavailable">
          {error}
        </Alert>
      ) : null}
      <ScrollArea.Autosize mah={360} type="auto">
        <Table highlightOnHover verticalSpacing={4} aria-label="Files in this folder">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th ta="right">Size</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {listing && current !== home ? (
              <Table.Tr>
                <Table.Td colSpan={2}>
                  <UnstyledButton onClick={() => refresh(parentPath(current, home))} aria-label="Up one folder">
                    <Group gap={6}>
                      <IconArrowUp size={16} aria-hidden /> ..
                    </Group>
                  </UnstyledButton>
                </Table.Td>
              </Table.Tr>
            ) : null}
            {listing?.entries.map((entry) => (
              <Table.Tr key={entry.name}>
                <Table.Td>
                  {entry.type === 'directory' ? (
                    <UnstyledButton
                      onClick={() => refresh(joinPath(current, entry.name))}
                      aria-label={`Open ${entry.name}`}
                    >
                      <Group gap={6} wrap="nowrap">
                        <IconFolder size={16} aria-hidden />
                        <Text size="sm">{entry.name}</Text>
                      </Group>
                    </UnstyledButton>
                  ) : entry.type === 'file' ? (
                    <UnstyledButton
                      onClick={() => download(entry.name, entry.size)}
                      aria-label={`Download ${entry.name}`}
                    >
                      <Group gap={6} wrap="nowrap">
                        <IconFile size={16} aria-hidden />
                        <Text size="sm">{entry.name}</Text>
                        <IconDownload size={14} aria-hidden />
                      </Group>
                    </UnstyledButton>
                  ) : (
                    <Text size="sm" c="gray.7">
                      {entry.name}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td ta="right">
                  <Text size="xs">{entry.type === 'file' ? formatSize(entry.size) : ''}</Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        {listing?.truncated ? (
          <Text size="xs" c="gray.7">
            Only the first {listing.entries.length} entries are shown.
          </Text>
        ) : null}
      </ScrollArea.Autosize>
      {transfers.length > 0 ? (
        <Stack gap={6} mt="sm" aria-label="Transfers" role="list">
          {transfers.map((t) => (
            <div key={t.id} role="listitem" aria-label={`${t.direction} ${t.name}`}>
              <Group justify="space-between" wrap="nowrap" gap={4}>
                <Text size="xs" truncate>
                  {t.direction === 'upload' ? '↑' : '↓'} {t.name} —{' '}
                  {t.state === 'running'
                    ? t.direction === 'upload'
                      ? `${formatSize(t.loaded)} of ${formatSize(t.total)}`
                      : 'asking for a download link…'
                    : t.state === 'done'
                      ? t.direction === 'upload'
                        ? 'done'
                        : 'Download started'
                      : t.state === 'cancelled'
                        ? 'cancelled'
                        : 'failed'}
                </Text>
                {t.state === 'running' ? (
                  <ActionIcon
                    size="sm"
                    variant="subtle"
                    aria-label={`Cancel ${t.direction} of ${t.name}`}
                    onClick={() => t.controller.abort()}
                  >
                    <IconX size={14} />
                  </ActionIcon>
                ) : null}
              </Group>
              {/* A download streams to disk through the browser's own download manager, which shows
                  its progress and can cancel it; this page never sees its bytes. */}
              {t.direction === 'download' && t.state === 'done' ? (
                <Text size="xs" c="gray.7">
                  {formatSize(t.total)}: your browser's downloads show its progress.
                </Text>
              ) : null}
              {t.direction === 'upload' ? (
                <Progress
                  value={t.total > 0 ? (100 * t.loaded) / t.total : t.state === 'done' ? 100 : 0}
                  color={t.state === 'failed' ? 'red' : t.state === 'done' ? 'green' : undefined}
                  aria-label={`${t.direction} progress of ${t.name}`}
                  size="sm"
                />
              ) : null}
              {t.error ? (
                <Text size="xs" c="red" role="alert">
                  {t.error}
                </Text>
              ) : null}
            </div>
          ))}
        </Stack>
      ) : null}
    </Paper>
  );
}
