import { useCallback, useState, type ReactNode } from 'react';
import { Button, Group, Modal, Text } from '@mantine/core';

interface Question {
  title: string;
  message: ReactNode;
  confirm: string;
  resolve: (yes: boolean) => void;
}

/**
 * Asks before a destructive change (disable, demote, reset two-factor, revoke, remove) in a modal
 * rather than `window.confirm`, so it is themed, keyboard-reachable and names the action on its button.
 * `ask` resolves true when confirmed; render `dialog` once in the page.
 */
export function useConfirm() {
  const [question, setQuestion] = useState<Question | null>(null);
  const ask = useCallback(
    (title: string, message: ReactNode, confirm: string) =>
      new Promise<boolean>((resolve) => setQuestion({ title, message, confirm, resolve })),
    [],
  );
  const answer = (yes: boolean) => {
    question?.resolve(yes);
    setQuestion(null);
  };
  const dialog = (
    <Modal opened={question !== null} onClose={() => answer(false)} title={question?.title} centered>
      <Text size="sm">{question?.message}</Text>
      <Group justify="flex-end" mt="lg">
        <Button variant="default" onClick={() => answer(false)}>
          Cancel
        </Button>
        <Button color="red" onClick={() => answer(true)} data-autofocus>
          {question?.confirm}
        </Button>
      </Group>
    </Modal>
  );
  return { ask, dialog };
}
