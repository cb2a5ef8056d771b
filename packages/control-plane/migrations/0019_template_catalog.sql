-- The catalog's presentation: an icon, a category and tags per template (issue 14).
-- icon: a bundled icon's name (served by the UI at /icons/<name>.svg) or an https URL; NULL shows
-- the generic app icon. tags: a JSON array of short lowercase words the catalog's search matches.
ALTER TABLE templates ADD COLUMN icon TEXT;
ALTER TABLE templates ADD COLUMN category TEXT NOT NULL DEFAULT 'Apps';
ALTER TABLE templates ADD COLUMN tags JSONB NOT NULL DEFAULT '[]'::jsonb;

UPDATE templates SET icon = 'browser', category = 'Internet', tags = '["browser", "web"]'::jsonb
    WHERE name = 'firefox-browser' AND icon IS NULL;
UPDATE templates SET icon = 'terminal', category = 'Development', tags = '["shell", "console", "cli"]'::jsonb
    WHERE name = 'xterm' AND icon IS NULL;
UPDATE templates SET icon = 'desktop', category = 'Desktops', tags = '["xfce", "linux", "full desktop"]'::jsonb
    WHERE name = 'desktop' AND icon IS NULL;
