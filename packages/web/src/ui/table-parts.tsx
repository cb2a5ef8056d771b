import { Button, Table, VisuallyHidden } from '@mantine/core';

/** A table's column headings, with a last, visually hidden "Actions" column for the row buttons. */
export function TableHead({ columns }: { columns: string[] }) {
  return (
    <Table.Thead>
      <Table.Tr>
        {columns.map((c) => (
          <Table.Th key={c}>{c}</Table.Th>
        ))}
        <Table.Th>
          <VisuallyHidden>Actions</VisuallyHidden>
        </Table.Th>
      </Table.Tr>
    </Table.Thead>
  );
}

/** The row button that ends something (a share, a token): shown only while it is active. */
export function RevokeButton({
  active,
  onClick,
  label,
}: {
  active: boolean;
  onClick: () => void;
  /** The accessible name when "Revoke" alone would be ambiguous in a list. */
  label?: string;
}) {
  if (!active) return null;
  return (
    <Button size="compact-sm" color="red" variant="light" onClick={onClick} aria-label={label}>
      Revoke
    </Button>
  );
}
