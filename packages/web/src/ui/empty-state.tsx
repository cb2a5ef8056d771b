import type { ReactNode } from 'react';
import { EmptyState } from '@mantine/core';

/** Nothing to show yet: an icon, one sentence saying why, and the action that changes it. */
export function Empty({
  icon,
  title,
  description,
  action,
}: {
  icon: ReactNode;
  title: string;
  description: string;
  action?: ReactNode;
}) {
  return (
    <EmptyState icon={icon} title={title} description={description} variant="light" py="xl" data-empty-state="">
      {action && <EmptyState.Actions>{action}</EmptyState.Actions>}
    </EmptyState>
  );
}
