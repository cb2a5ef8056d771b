import type { FormEvent } from 'react';
import { api } from '../api.js';
import { AdminPage, useAdminList } from './admin-page.js';

interface Template {
  name: string;
  display_name: string;
  image: string;
  cpu_limit: number;
  memory_limit_mb: number;
  platform: string;
  persistent_home: boolean;
}

/** Admin: the app catalog. */
export function Templates() {
  const { items: templates, error, run: guard } = useAdminList<Template>('/api/v1/templates');
  const create = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    void guard(() =>
      api('POST', '/api/v1/templates', {
        name: form.get('name'),
        display_name: form.get('display_name'),
        image: form.get('image'),
        cpu_limit: Number(form.get('cpu_limit')),
        memory_limit_mb: Number(form.get('memory_limit_mb')),
      }),
    );
    event.currentTarget.reset();
  };
  return (
    <AdminPage title="Templates" error={error}>
      <form className="inline" onSubmit={create}>
        <input name="name" placeholder="name (e.g. gimp)" required pattern="[a-z0-9][a-z0-9-]*" aria-label="Name" />
        <input name="display_name" placeholder="display name" required aria-label="Display name" />
        <input name="image" placeholder="image" required aria-label="Image" />
        <input name="cpu_limit" type="number" step="0.1" min="0.1" defaultValue="1" aria-label="CPU cores" />
        <input name="memory_limit_mb" type="number" min="64" defaultValue="1024" aria-label="Memory MB" />
        <button type="submit">Add template</button>
      </form>
      <table className="agents">
        <tbody>
          {templates.map((t) => (
            <tr key={t.name} data-template-row={t.name}>
              <td>{t.display_name}</td>
              <td>{t.image}</td>
              <td>
                {t.cpu_limit} cores, {t.memory_limit_mb} MB
              </td>
              <td>{t.platform}</td>
              <td>
                <button onClick={() => void guard(() => api('DELETE', `/api/v1/templates/${t.name}`))}>Remove</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </AdminPage>
  );
}
