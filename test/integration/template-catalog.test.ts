import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachDatabase, type FreshDatabase } from '../support/databases.js';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';

/** The catalog's presentation fields (issue 14, migration 0019): icon, category and tags. */
forEachDatabase('template icon, category and tags', (target) => {
  let fresh: FreshDatabase;
  let cp: TestControlPlane;

  before(async () => {
    fresh = await target.fresh();
    cp = await (await startTestControlPlane(fresh)).loginAsAdmin();
  });
  after(async () => {
    await cp.stop();
    await fresh.close();
  });

  test('the bundled catalog comes with icons, categories and tags, and the icons are served', async () => {
    const list = await cp.api('GET', '/api/v1/templates');
    const shown = Object.fromEntries(
      (list.body as { name: string; icon: string; category: string; tags: string[] }[]).map((t) => [
        t.name,
        [t.icon, t.category, t.tags.includes(t.name === 'xterm' ? 'shell' : t.name === 'desktop' ? 'xfce' : 'browser')],
      ]),
    );
    assert.deepEqual(shown, {
      desktop: ['desktop', 'Desktops', true],
      'firefox-browser': ['browser', 'Internet', true],
      xterm: ['terminal', 'Development', true],
    });
    for (const icon of ['app', 'browser', 'terminal', 'desktop']) {
      const response = await fetch(`${cp.url}/icons/${icon}.svg`);
      assert.equal(response.status, 200, icon);
      assert.match(response.headers.get('content-type') ?? '', /^image\/svg\+xml/);
      assert.match(await response.text(), /^<svg /);
    }
    // An admin may point an icon at an https URL, so the page's policy must let it load.
    const page = await fetch(`${cp.url}/`);
    assert.match(page.headers.get('content-security-policy') ?? '', /img-src 'self' data: blob: https:/);
  });

  test('set on create, changed with PATCH, and defaults for a template that names none', async () => {
    const created = await cp.api('POST', '/api/v1/templates', {
      body: {
        name: 'gimp',
        display_name: 'GIMP',
        image: 'example/gimp:1',
        icon: 'https://icons.example.com/gimp.svg',
        category: 'Graphics',
        tags: ['image', 'paint'],
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(
      [created.body.icon, created.body.category, created.body.tags],
      ['https://icons.example.com/gimp.svg', 'Graphics', ['image', 'paint']],
    );
    const changed = await cp.api('PATCH', '/api/v1/templates/gimp', { body: { icon: 'graphics', tags: ['photo'] } });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.deepEqual(
      [changed.body.icon, changed.body.category, changed.body.tags],
      ['graphics', 'Graphics', ['photo']],
    );

    const plain = await cp.api('POST', '/api/v1/templates', {
      body: { name: 'plain', display_name: 'Plain', image: 'example/plain:1' },
    });
    assert.deepEqual([plain.body.icon, plain.body.category, plain.body.tags], [null, 'Apps', []]);
  });

  test('an icon that is neither bundled nor an https URL, or a bad tag, is refused naming the field', async () => {
    for (const icon of [
      'http://icons.example.com/x.svg',
      'javascript:alert(1)',
      'rocket',
      'data:image/svg+xml,<svg>',
    ]) {
      const refused = await cp.api('PATCH', '/api/v1/templates/xterm', { body: { icon } });
      assert.equal(refused.status, 400, icon);
      assert.match(refused.body.message, /icon/, icon);
    }
    for (const tags of [['Upper'], ['ok', 'ok'], ['x'.repeat(33)]]) {
      const refused = await cp.api('PATCH', '/api/v1/templates/xterm', { body: { tags } });
      assert.equal(refused.status, 400, JSON.stringify(tags));
      assert.match(refused.body.message, /tags/, JSON.stringify(tags));
    }
    const unchanged = await cp.api('GET', '/api/v1/templates/xterm');
    assert.deepEqual([unchanged.body.icon, unchanged.body.tags], ['terminal', ['shell', 'console', 'cli']]);
  });
});
