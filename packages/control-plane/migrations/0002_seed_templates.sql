-- The catalog a fresh install offers. Images are built by `streamspace image build`.
INSERT INTO templates (name, display_name, description, image, cpu_limit, memory_limit_mb, env, persistent_home)
VALUES
    ('firefox-browser', 'Firefox', 'Firefox ESR web browser in a private container.',
     'streamspace/firefox-browser:latest', 1, 2048, '{}'::jsonb, TRUE),
    ('xterm', 'Terminal', 'An xterm terminal with a shell in a minimal X desktop.',
     'streamspace/xterm:latest', 0.5, 512, '{}'::jsonb, TRUE),
    ('desktop', 'Linux Desktop', 'A light full Linux desktop (Xfce) with a browser and terminal.',
     'streamspace/desktop:latest', 2, 4096, '{}'::jsonb, TRUE)
ON CONFLICT (name) DO NOTHING;
