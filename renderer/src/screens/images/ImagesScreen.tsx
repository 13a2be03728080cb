// Owns: the Images screen — tags, size, age and use of each image (from `images` events), remove
// with confirmation, and the pull panel.
import { useState } from 'react';
import type { ImageSummary } from '../../../../helpers/api/docker.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { DockerUnavailable, useDockerUnavailable } from '../../components/DockerUnavailable.tsx';
import { Screen } from '../../components/Screen.tsx';
import { useNow } from '../../components/useNow.ts';
import { formatAgo, formatBytes, shortId } from '../../model/displayFormat.ts';
import { useBerth, useBusy } from '../../store/useBerth.ts';
import { ImagePullPanel } from './ImagePullPanel.tsx';

function imageLabel(i: ImageSummary): string {
  return i.tags[0] ?? shortId(i.id);
}

function inUse(count: number): string {
  if (count < 0) return '—';
  if (count === 0) return 'No';
  return `${count} ${count === 1 ? 'container' : 'containers'}`;
}

function ImageRow({ image, now, onRemove }: { image: ImageSummary; now: number; onRemove: () => void }) {
  const busy = useBusy(`image:${image.id}`);
  const label = imageLabel(image);
  return (
    <tr data-testid={`image-row-${label}`}>
      <th scope="row" className="wrap-anywhere">
        {image.tags.length > 0 ? image.tags.join(', ') : <span className="muted">untagged</span>}
      </th>
      <td>
        <code>{shortId(image.id)}</code>
      </td>
      <td>{formatBytes(image.size)}</td>
      <td>{formatAgo(image.created, now)}</td>
      <td>{inUse(image.containers)}</td>
      <td>
        <button type="button" className="button-danger" disabled={busy} onClick={onRemove}>
          Remove<span className="visually-hidden"> {label}</span>
        </button>
      </td>
    </tr>
  );
}

export function ImagesScreen() {
  const images = useBerth((s) => s.images);
  const removeImage = useBerth((s) => s.removeImage);
  const unavailable = useDockerUnavailable();
  const now = useNow(60_000);
  const [removing, setRemoving] = useState<ImageSummary | undefined>(undefined);
  return (
    <Screen id="images" title="Images">
      {unavailable ? <DockerUnavailable reason={unavailable} /> : <ImagePullPanel />}
      {unavailable ? null : images === undefined ? (
        <p className="muted">Waiting for Docker&rsquo;s list…</p>
      ) : images.length === 0 ? (
        <p className="empty">No images yet. Pull one above, or build one with <code>docker build</code>.</p>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Images table">
          <table className="table" data-testid="images-table">
            <thead>
              <tr>
                <th scope="col">Tags</th>
                <th scope="col">ID</th>
                <th scope="col">Size</th>
                <th scope="col">Created</th>
                <th scope="col">In use</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {images.map((i) => (
                <ImageRow key={i.id} image={i} now={now} onRemove={() => setRemoving(i)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {removing ? (
        <ConfirmDialog
          title={`Remove ${imageLabel(removing)}?`}
          confirmLabel="Remove"
          danger
          onCancel={() => setRemoving(undefined)}
          onConfirm={() => {
            const i = removing;
            setRemoving(undefined);
            void removeImage(i.tags[0] ?? i.id, imageLabel(i));
          }}
        >
          <p>
            Berth deletes {removing.tags.length > 0 ? `the tag ${removing.tags[0]}` : `image ${shortId(removing.id)}`}
            {removing.tags.length > 1 ? ` (the image stays under its other tags: ${removing.tags.slice(1).join(', ')})` : ` and frees up to ${formatBytes(removing.size)}`}.
          </p>
          {removing.containers > 0 ? <p>{inUse(removing.containers)} use it: Docker refuses to remove it until they are removed.</p> : null}
          <p>You can pull it again later.</p>
        </ConfirmDialog>
      ) : null}
    </Screen>
  );
}
