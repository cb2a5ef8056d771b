import { useState, type FormEvent } from 'react';
import { api } from '../api.js';
import { AdminPage, useAdminList } from './admin-page.js';

interface Template {
  name: string;
  display_name: string;
  description: string;
  image: string;
  cpu_limit: number;
  memory_limit_mb: number;
  platform: string;
  persistent_home: boolean;
  idle_timeout: string | null;
  max_lifetime: string | null;
}

/** An empty override field means "use the setting" (null); anything else is a duration like 30m. */
const override = (value: FormDataEntryValue | null) =>
  String(value ?? '').trim() === '' ? null : String(value).trim();

/** The editable fields, read from a form whose inputs carry these names. */
function fieldsOf(form: HTMLFormElement) {
  const data = new FormData(form);
  return {
    display_name: String(data.get('display_name')),
    description: String(data.get('description') ?? ''),
    image: String(data.get('image')),
    cpu_limit: Number(data.get('cpu_limit')),
    memory_limit_mb: Number(data.get('memory_limit_mb')),
    persistent_home: data.get('persistent_home') === 'on',
    idle_timeout: override(data.get('idle_timeout')),
    max_lifetime: override(data.get('max_lifetime')),
  };
}

/** Admin: the app catalog — add, edit and remove templates. */
export function Templates() {
  const { items: templates, error, run: guard } = useAdminList<Template>('/api/v1/templates');
  const [editing, setEditing] = useState<string | null>(null);
  const create = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    void guard(() => api('POST', '/api/v1/templates', { name: new FormData(form).get('name'), ...fieldsOf(form) }));
    form.reset();
  };
  const save = (event: FormEvent<HTMLFormElement>, name: string) => {
    event.preventDefault();
    const fields = fieldsOf(event.currentTarget);
    void guard(async () => {
      await api('PATCH', `/api/v1/templates/${name}`, fields);
      setEditing(null);
    });
  };
  return (
    <AdminPage title="Templates" error={error}>
      <form className="inline" onSubmit={create}>
        <input name="name" placeholder="name (e.g. gimp)" required pattern="[a-z0-9][a-z0-9-]*" aria-label="Name" />
        <TemplateInputs />
        <button type="submit">Add template</button>
      </form>
      <table className="agents">
        <tbody>
          {templates.map((t) =>
            editing === t.name ? (
              <tr key={t.name} data-template-row={t.name}>
                <td colSpan={5}>
                  <form className="inline" onSubmit={(event) => save(event, t.name)}>
                    <strong>{t.name}</strong>
                    <TemplateInputs template={t} />
                    <button type="submit">Save</button>
                    <button type="button" onClick={() => setEditing(null)}>
                      Cancel
                    </button>
                  </form>
                </td>
              </tr>
            ) : (
              <tr key={t.name} data-template-row={t.name}>
                <td>{t.display_name}</td>
                <td>{t.image}</td>
                <td>
                  {t.cpu_limit} cores, {t.memory_limit_mb} MB{t.persistent_home ? ', persistent home' : ''}
                  {t.idle_timeout !== null && `, idle timeout ${t.idle_timeout}`}
                  {t.max_lifetime !== null && `, max lifetime ${t.max_lifetime}`}
                </td>
                <td>{t.platform}</td>
                <td>
                  <button onClick={() => setEditing(t.name)}>Edit</button>{' '}
                  <button onClick={() => void guard(() => api('DELETE', `/api/v1/templates/${t.name}`))}>Remove</button>
                </td>
              </tr>
            ),
          )}
        </tbody>
      </table>
    </AdminPage>
  );
}

function TemplateInputs({ template }: { template?: Template }) {
  return (
    <>
      <input
        name="display_name"
        placeholder="display name"
        required
        aria-label="Display name"
        defaultValue={template?.display_name}
      />
      <input
        name="description"
        placeholder="description"
        aria-label="Description"
        defaultValue={template?.description}
      />
      <input name="image" placeholder="image" required aria-label="Image" defaultValue={template?.image} />
      <input
        name="cpu_limit"
        type="number"
        step="0.1"
        min="0.1"
        defaultValue={template?.cpu_limit ?? 1}
        aria-label="CPU cores"
      />
      <input
        name="memory_limit_mb"
        type="number"
        min="64"
        defaultValue={template?.memory_limit_mb ?? 1024}
        aria-label="Memory MB"
      />
      <label>
        <input name="persistent_home" type="checkbox" defaultChecked={template?.persistent_home ?? false} /> persistent
        home
      </label>
      <label>
        Idle timeout{' '}
        <input
          name="idle_timeout"
          placeholder="setting (e.g. 30m, 0s = never)"
          pattern="(\d+d)?(\d+(\.\d+)?(ms|s|m|h))*"
          defaultValue={template?.idle_timeout ?? ''}
        />
      </label>
      <label>
        Max lifetime{' '}
        <input
          name="max_lifetime"
          placeholder="setting (e.g. 8h, 2d, 0s = none)"
          pattern="(\d+d)?(\d+(\.\d+)?(ms|s|m|h))*"
          defaultValue={template?.max_lifetime ?? ''}
        />
      </label>
    </>
  );
}
