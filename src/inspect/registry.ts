/**
 * The process-wide inspection observers. `--inspect`, the console's state display, or a test add
 * one; every root actor voxstate starts afterwards reports to all of them. With none, actors run
 * with no inspection cost.
 */
import type { AnyActorRef, InspectionEvent, Observer } from 'xstate';

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

/**
 * What an actor's owner announces about it without a transition (a session's history items, new
 * speeches and tool steps): not events the actor received, so they are not inspection events;
 * inspectors that show a log (the inspector page) show them beside its events.
 */
export type AnnouncementObserver = (actorRef: AnyActorRef, announcement: { type: string }) => void;

const announcementObservers = new Set<AnnouncementObserver>();

/** Sends what actors' owners announce from now on to `observer`; returns its removal. */
export function observeAnnouncements(observer: AnnouncementObserver): () => void {
  announcementObservers.add(observer);
  return () => announcementObservers.delete(observer);
}

/** Tells the announcement observers, if there are any (none: nothing is done). */
export function announce(actorRef: AnyActorRef, announcement: { type: string }): void {
  for (const observer of announcementObservers) observer(actorRef, announcement);
}
