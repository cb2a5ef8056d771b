/** The shell's navigation: everyone's pages, then the administrators'. */
export interface NavItem {
  label: string;
  href: string;
  /** The routes (hash without `#`) on which this item is the current page. */
  routes: string[];
}

export const USER_NAV: NavItem[] = [
  { label: 'Apps', href: '#/', routes: ['/'] },
  { label: 'My sessions', href: '#/sessions', routes: ['/sessions'] },
];

export const ADMIN_NAV: NavItem[] = [
  { label: 'Dashboard', href: '#/admin', routes: ['/admin'] },
  { label: 'Agents', href: '#/agents', routes: ['/agents'] },
  { label: 'Users', href: '#/users', routes: ['/users'] },
  { label: 'Templates', href: '#/templates', routes: ['/templates'] },
  { label: 'Audit', href: '#/audit', routes: ['/audit'] },
];

export const navItemsFor = (role: string | undefined): NavItem[] =>
  role === 'admin' ? [...USER_NAV, ...ADMIN_NAV] : USER_NAV;
