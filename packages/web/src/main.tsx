import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import { getToken } from './api.js';
import { Login } from './pages/Login.js';
import { Catalog } from './pages/Catalog.js';
import { MySessions } from './pages/MySessions.js';
import { Viewer } from './pages/Viewer.js';
import { Agents } from './pages/Agents.js';
import { Account } from './pages/Account.js';
import { Users } from './pages/Users.js';
import { Templates } from './pages/Templates.js';
import { Audit } from './pages/Audit.js';
import { Dashboard } from './pages/Dashboard.js';
import { contrastResolver, theme } from './ui/theme.js';
import { Shell } from './ui/app-shell.js';
import './style.css';

/** Hash routes: #/login, #/ (the apps), #/sessions (my sessions), #/account, #/view/<session id>, #/share/<link token>, #/admin (dashboard), #/agents, #/users, #/templates, #/audit (admins). */
function useRoute(): string {
  const [route, setRoute] = useState(location.hash.slice(1) || '/');
  useEffect(() => {
    const onChange = () => setRoute(location.hash.slice(1) || '/');
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function App() {
  const route = useRoute();
  // `/login?sso=1`: the end of a single sign-on (pages/SingleSignOn.tsx).
  if (!getToken() || route.split('?')[0] === '/login') return <Login />;
  const view = /^\/view\/([0-9a-f-]{36})$/.exec(route);
  if (view) return <Viewer sessionId={view[1]!} />;
  // A share link: signed out, the login page stands in and returns here (pages/login-mfa.tsx signIn).
  const share = /^\/share\/([A-Za-z0-9_-]{1,100})$/.exec(route);
  if (share) return <Viewer key={share[1]} shareToken={share[1]!} />;
  // Everything else sits in the shell (header, navigation, user menu); the viewer stays full-screen.
  return <Shell route={route}>{page(route)}</Shell>;
}

function page(route: string) {
  if (route === '/sessions') return <MySessions />;
  if (route === '/admin') return <Dashboard />;
  if (route === '/agents') return <Agents />;
  if (route === '/users') return <Users />;
  if (route === '/templates') return <Templates />;
  if (route === '/audit') return <Audit />;
  if (route === '/account') return <Account />;
  return <Catalog />;
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} cssVariablesResolver={contrastResolver} defaultColorScheme="auto">
      <Notifications position="top-right" />
      <App />
    </MantineProvider>
  </StrictMode>,
);
