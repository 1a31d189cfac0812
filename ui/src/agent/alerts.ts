// How the console gets an agent's attention: a short chime (Web Audio, no
// file) and, when the tab is hidden, a browser notification. Permission is
// asked once, politely, from a click (going available).

let audio: AudioContext | null = null;

/** Prepares sound from a user gesture (browsers start audio suspended). */
export function unlockAudio(): void {
  try {
    audio ??= new AudioContext();
    if (audio.state === 'suspended') void audio.resume();
  } catch {
    audio = null;
  }
}

if (typeof window !== 'undefined') {
  const once = () => {
    unlockAudio();
    window.removeEventListener('pointerdown', once);
    window.removeEventListener('keydown', once);
  };
  window.addEventListener('pointerdown', once);
  window.addEventListener('keydown', once);
}

/** `offer`: two rising notes; `message`: one soft note. */
export function chime(kind: 'offer' | 'message'): void {
  if (!audio || audio.state !== 'running') return;
  const notes = kind === 'offer' ? [660, 880] : [740];
  const start = audio.currentTime;
  notes.forEach((freq, i) => {
    const osc = audio!.createOscillator();
    const gain = audio!.createGain();
    osc.type = 'sine';
    osc.frequency.value = freq;
    const t = start + i * 0.16;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(kind === 'offer' ? 0.25 : 0.12, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.28);
    osc.connect(gain).connect(audio!.destination);
    osc.start(t);
    osc.stop(t + 0.3);
  });
}

const ASKED = 'omnidesk.notifications.asked';

/** Whether to offer turning notifications on (never asked, browser can). */
export function shouldOfferNotifications(): boolean {
  if (typeof Notification === 'undefined' || Notification.permission !== 'default') return false;
  try {
    return !localStorage.getItem(ASKED);
  } catch {
    return false;
  }
}

/** "Not now": don't offer again. */
export function declineNotifications(): void {
  try {
    localStorage.setItem(ASKED, '1');
  } catch {
    /* nothing to remember with */
  }
}

/** Asks for notification permission once ever, from a user gesture. */
export function askNotificationsOnce(): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'default') return;
  try {
    if (localStorage.getItem(ASKED)) return;
    localStorage.setItem(ASKED, '1');
  } catch {
    /* private mode: ask anyway */
  }
  void Notification.requestPermission().catch(() => undefined);
}

export function notificationsState(): 'granted' | 'denied' | 'default' | 'unsupported' {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

/** A notification, only while the tab is hidden; clicking it focuses the tab and runs `onclick`. */
export function notifyHidden(title: string, body: string, tag: string, onclick?: () => void): void {
  if (typeof document === 'undefined' || document.visibilityState !== 'hidden') return;
  if (notificationsState() !== 'granted') return;
  try {
    const n = new Notification(title, { body, tag });
    n.onclick = () => {
      window.focus();
      onclick?.();
      n.close();
    };
  } catch {
    /* some browsers only allow notifications from a service worker */
  }
}
