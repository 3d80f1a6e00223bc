/**
 * The process-wide inspection observers. `--inspect`, the console's state display, or a test add
 * one; every root actor voxstate starts afterwards reports to all of them. With none, actors run
 * with no inspection cost.
 */
import type { InspectionEvent, Observer } from 'xstate';

export type Inspector = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

const inspectors = new Set<Inspector>();

function deliver(event: InspectionEvent): void {
  for (const inspector of inspectors) {
    if (typeof inspector === 'function') inspector(event);
    else inspector.next?.(event);
  }
}

/** Sends the inspection events of every actor started from now on to `inspector`; returns its removal. */
export function addInspector(inspector: Inspector): () => void {
  inspectors.add(inspector);
  return () => inspectors.delete(inspector);
}

/** The observer to give new root actors, if any inspector is installed. */
export function currentInspector(): ((event: InspectionEvent) => void) | undefined {
  return inspectors.size > 0 ? deliver : undefined;
}
