import { createTheme } from '@mantine/core';

/**
 * The one theme every page draws from (Mantine: accessible components, light and dark schemes via
 * CSS variables, no runtime CSS-in-JS). Pages take colours and spacing from here, never literals,
 * so both schemes stay consistent.
 */
export const theme = createTheme({
  primaryColor: 'indigo',
  defaultRadius: 'md',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  headings: { fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif' },
  // Focus rings on keyboard focus only, never hidden: keyboard navigation must stay visible.
  focusRing: 'auto',
});
