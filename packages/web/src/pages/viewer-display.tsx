import { SegmentedControl, Slider, Stack, Text } from '@mantine/core';
import type { Scaling, ViewerSettings } from './viewer-settings.js';

const LEVEL_MARKS = [0, 3, 6, 9].map((value) => ({ value, label: String(value) }));

/** One 0-9 noVNC level as a labelled slider (the thumb carries the accessible name). */
function LevelSlider(props: { label: string; hint: string; value: number; onChange: (value: number) => void }) {
  return (
    <div>
      <Text size="sm" fw={500}>
        {props.label}: {props.value}
      </Text>
      <Text size="xs" c="dimmed">
        {props.hint}
      </Text>
      <Slider
        min={0}
        max={9}
        step={1}
        marks={LEVEL_MARKS}
        value={props.value}
        onChange={props.onChange}
        thumbLabel={props.label}
        mb="md"
      />
    </div>
  );
}

/**
 * The display panel: scaling, and noVNC's quality and compression levels. Every change applies to
 * the live connection at once (the viewer passes them to RFB) and is remembered in this browser.
 */
export function DisplayPanel({
  settings,
  change,
  mayResize,
}: {
  settings: ViewerSettings;
  change: (settings: ViewerSettings) => void;
  /** False for a share's guest: the owner's desktop keeps its size. */
  mayResize: boolean;
}) {
  return (
    <Stack gap="sm">
      <div>
        <Text size="sm" fw={500} id="viewer-scaling">
          Scaling
        </Text>
        <SegmentedControl
          aria-labelledby="viewer-scaling"
          fullWidth
          value={settings.scaling === 'remote' && !mayResize ? 'fit' : settings.scaling}
          onChange={(value) => change({ ...settings, scaling: value as Scaling })}
          data={[
            { value: 'fit', label: 'Fit' },
            { value: 'one-to-one', label: '1:1' },
            { value: 'remote', label: 'Remote resize', disabled: !mayResize },
          ]}
        />
      </div>
      <LevelSlider
        label="Quality"
        hint="Image quality: lower uses less bandwidth."
        value={settings.quality}
        onChange={(quality) => change({ ...settings, quality })}
      />
      <LevelSlider
        label="Compression"
        hint="Higher uses less bandwidth and more server CPU."
        value={settings.compression}
        onChange={(compression) => change({ ...settings, compression })}
      />
    </Stack>
  );
}
