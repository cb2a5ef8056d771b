import { useState, type FormEvent } from 'react';
import {
  ActionIcon,
  Alert,
  Button,
  Group,
  Image,
  Modal,
  NumberInput,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  TagsInput,
  Text,
  TextInput,
  Textarea,
  Fieldset,
} from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import { ApiError, BUNDLED_ICONS, api, templateIconUrl } from '../api.js';
import {
  formFieldOf,
  formValuesOf,
  requestBodyOf,
  type AdminTemplate,
  type TemplateFormValues,
} from './template-fields.js';

const ICON_OPTIONS = [
  { value: '', label: 'Generic app icon' },
  ...BUNDLED_ICONS.filter((name) => name !== 'app').map((name) => ({ value: name, label: name })),
  { value: 'url', label: 'An image at an https URL…' },
];
const iconPreview = (choice: string, url: string) =>
  choice === 'url' ? (url.startsWith('https://') ? url : templateIconUrl(null)) : templateIconUrl(choice || null);

/**
 * Create (template null) or edit a template in a modal. Every field has a label and help text; a
 * 400 from the API lands on the field it names (the error body's `field`), anything else above
 * the buttons.
 */
export function TemplateForm({
  template,
  opened,
  onClose,
  onSaved,
}: {
  template: AdminTemplate | null;
  opened: boolean;
  onClose: () => void;
  onSaved: () => void;
}) {
  const creating = template === null;
  const [values, setValues] = useState<TemplateFormValues>(() => formValuesOf(template));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const phone = useMediaQuery('(max-width: 48em)', false, { getInitialValueInEffect: false });

  const set = <K extends keyof TemplateFormValues>(key: K, value: TemplateFormValues[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
    // Editing a field clears its server message: the next submit asks again.
    setErrors(({ [key]: _cleared, ...rest }) => rest);
  };
  const input = (key: keyof TemplateFormValues) => ({ error: errors[key], name: key });

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setGeneral(null);
    try {
      const body = requestBodyOf(values, creating);
      if (creating) await api('POST', '/api/v1/templates', body);
      else await api('PATCH', `/api/v1/templates/${encodeURIComponent(template.name)}`, body);
      onSaved();
    } catch (e) {
      const field = formFieldOf((e as ApiError).field, values);
      if (field) {
        setErrors({ [field]: (e as Error).message });
        // Take the keyboard to the field that needs fixing (screen readers then read its error).
        requestAnimationFrame(() =>
          document
            .querySelector<HTMLElement>(
              `[data-field="${field}"] input, [data-field="${field}"] textarea, input[name="${field}"]`,
            )
            ?.focus(),
        );
      } else setGeneral((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={creating ? 'Add a template' : `Edit ${template.name}`}
      size="xl"
      // A phone gets the whole screen: the form is long.
      fullScreen={phone}
      closeButtonProps={{ 'aria-label': 'Close the template form' }}
    >
      <form onSubmit={(e) => void submit(e)} noValidate aria-label={creating ? 'Add a template' : 'Edit template'}>
        <Stack gap="md">
          <Fieldset legend="The app">
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput
                {...input('name')}
                label="Name"
                description="Its id in the API and URLs: lowercase letters, digits and dashes (e.g. gimp); cannot change later"
                required
                disabled={!creating}
                value={values.name}
                onChange={(e) => set('name', e.currentTarget.value)}
              />
              <TextInput
                {...input('display_name')}
                label="Display name"
                description="What the catalog shows, e.g. GIMP"
                required
                value={values.display_name}
                onChange={(e) => set('display_name', e.currentTarget.value)}
              />
            </SimpleGrid>
            <Textarea
              {...input('description')}
              mt="sm"
              label="Description"
              description="One or two sentences on the catalog card"
              autosize
              minRows={2}
              value={values.description}
              onChange={(e) => set('description', e.currentTarget.value)}
            />
            <SimpleGrid cols={{ base: 1, sm: 2 }} mt="sm">
              <Group gap="sm" align="flex-end" wrap="nowrap" data-field="icon_choice">
                <Image src={iconPreview(values.icon_choice, values.icon_url)} alt="" w={36} h={36} fit="contain" />
                <Select
                  {...input('icon_choice')}
                  style={{ flex: 1 }}
                  label="Icon"
                  description="A bundled icon, or an image of your own"
                  data={ICON_OPTIONS}
                  value={values.icon_choice}
                  allowDeselect={false}
                  onChange={(choice) => set('icon_choice', choice ?? '')}
                  renderOption={({ option }) => (
                    <Group gap="xs">
                      <Image src={iconPreview(option.value, '')} alt="" w={20} h={20} fit="contain" />
                      <span>{option.label}</span>
                    </Group>
                  )}
                />
              </Group>
              <TextInput
                {...input('category')}
                label="Category"
                description="The catalog group it is listed under, e.g. Graphics"
                value={values.category}
                onChange={(e) => set('category', e.currentTarget.value)}
              />
            </SimpleGrid>
            {values.icon_choice === 'url' && (
              <TextInput
                {...input('icon_url')}
                mt="sm"
                label="Icon URL"
                description="An https:// address of a square image (SVG or PNG)"
                placeholder="https://example.com/gimp.svg"
                value={values.icon_url}
                onChange={(e) => set('icon_url', e.currentTarget.value)}
              />
            )}
            <div data-field="tags">
              <TagsInput
                error={errors.tags}
                mt="sm"
                label="Tags"
                description="Lowercase words the catalog search matches; press Enter after each"
                value={values.tags}
                onChange={(tags) => set('tags', tags)}
              />
            </div>
          </Fieldset>

          <Fieldset legend="How it runs">
            <TextInput
              {...input('image')}
              label="Image"
              description="The container image with its tag, e.g. streamspace/gimp:latest"
              required
              value={values.image}
              onChange={(e) => set('image', e.currentTarget.value)}
            />
            <SimpleGrid cols={{ base: 1, sm: 3 }} mt="sm">
              <NumberInput
                {...input('cpu_limit')}
                label="CPU limit (cores)"
                description="More than 0, up to 256; 0.5 is half a core"
                decimalScale={2}
                clampBehavior="none"
                value={values.cpu_limit}
                onChange={(v) => set('cpu_limit', v)}
              />
              <NumberInput
                {...input('memory_limit_mb')}
                label="Memory (MB)"
                description="64 MB or more; 2048 suits a browser"
                allowDecimal={false}
                clampBehavior="none"
                value={values.memory_limit_mb}
                onChange={(v) => set('memory_limit_mb', v)}
              />
              <NumberInput
                {...input('vnc_port')}
                label="VNC port"
                description="Where the image's VNC server listens (usually 5900)"
                allowDecimal={false}
                clampBehavior="none"
                value={values.vnc_port}
                onChange={(v) => set('vnc_port', v)}
              />
            </SimpleGrid>
            <SimpleGrid cols={{ base: 1, sm: 3 }} mt="sm">
              <Select
                {...input('platform')}
                label="Platform"
                description="Which agents may run it"
                data={[
                  { value: 'any', label: 'any agent' },
                  { value: 'docker', label: 'Docker agents only' },
                  { value: 'kubernetes', label: 'Kubernetes agents only' },
                ]}
                value={values.platform}
                allowDeselect={false}
                onChange={(v) => set('platform', v ?? 'any')}
              />
              <TextInput
                {...input('idle_timeout')}
                label="Idle timeout"
                description="e.g. 30m; 0s never; empty uses SESSION_IDLE_TIMEOUT"
                value={values.idle_timeout}
                onChange={(e) => set('idle_timeout', e.currentTarget.value)}
              />
              <TextInput
                {...input('max_lifetime')}
                label="Max lifetime"
                description="e.g. 8h or 2d; 0s no limit; empty uses SESSION_MAX_LIFETIME"
                value={values.max_lifetime}
                onChange={(e) => set('max_lifetime', e.currentTarget.value)}
              />
            </SimpleGrid>
            <NumberInput
              {...input('warm_pool')}
              mt="sm"
              maw={360}
              label="Warm pool"
              description="Sessions kept started ahead, 0 to 50: a user's start takes one that already runs, so the desktop shows at once. Each holds an agent slot. Not with a persistent home."
              allowDecimal={false}
              clampBehavior="none"
              value={values.warm_pool}
              onChange={(v) => set('warm_pool', v)}
            />
            <Switch
              mt="md"
              label="Persistent home"
              description="Keep /home across sessions (a volume per user); otherwise each session starts clean"
              checked={values.persistent_home}
              onChange={(e) => set('persistent_home', e.currentTarget.checked)}
            />
          </Fieldset>

          <EnvRows values={values} error={errors.env} onChange={(env) => set('env', env)} />

          {general && (
            <Alert color="red" variant="light" title="Not saved">
              {general}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy}>
              {creating ? 'Add template' : 'Save'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** Environment variables as key/value rows; VNC_* and STREAMSPACE_* are the server's own. */
function EnvRows({
  values,
  error,
  onChange,
}: {
  values: TemplateFormValues;
  error: string | undefined;
  onChange: (env: TemplateFormValues['env']) => void;
}) {
  const rows = values.env;
  const update = (i: number, change: Partial<{ key: string; value: string }>) =>
    onChange(rows.map((row, j) => (j === i ? { ...row, ...change } : row)));
  return (
    <Fieldset legend="Environment variables" data-field="env">
      <Text size="xs" c="dimmed" mb="xs">
        Set in every session of this app. Names like HOME_URL; VNC_* and STREAMSPACE_* are reserved.
      </Text>
      <Stack gap="xs">
        {rows.map((row, i) => (
          <Group key={i} gap="xs" wrap="nowrap" align="flex-end">
            <TextInput
              label="Name"
              aria-label={`Variable ${i + 1} name`}
              size="xs"
              style={{ flex: 1 }}
              value={row.key}
              onChange={(e) => update(i, { key: e.currentTarget.value })}
            />
            <TextInput
              label="Value"
              aria-label={`Variable ${i + 1} value`}
              size="xs"
              style={{ flex: 2 }}
              value={row.value}
              onChange={(e) => update(i, { value: e.currentTarget.value })}
            />
            <ActionIcon
              variant="subtle"
              color="red"
              size="lg"
              aria-label={`Remove variable ${row.key || i + 1}`}
              onClick={() => onChange(rows.filter((_, j) => j !== i))}
            >
              <IconTrash size={16} aria-hidden />
            </ActionIcon>
          </Group>
        ))}
      </Stack>
      {error && (
        <Text c="red" size="sm" mt="xs" role="alert">
          {error}
        </Text>
      )}
      <Button
        mt="xs"
        size="xs"
        variant="light"
        leftSection={<IconPlus size={14} aria-hidden />}
        onClick={() => onChange([...rows, { key: '', value: '' }])}
      >
        Add variable
      </Button>
    </Fieldset>
  );
}
