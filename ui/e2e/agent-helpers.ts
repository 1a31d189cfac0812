// Steps the agent console's browser tests share (agent-*.spec.ts).
import type { Page } from '@playwright/test';
import { deflateSync } from 'node:zlib';
import { expect, type TestVisitor } from './fixtures';

/** Visitors' profile pictures point at Facebook's CDN, unreachable offline: the
 *  browser logs each failed image (the console shows initials instead). */
export const OFFLINE_PICTURES = /ERR_NAME_NOT_RESOLVED|ERR_CONNECTION_REFUSED|ERR_INTERNET_DISCONNECTED/;

/** Sets the agent's availability through the top bar's switch. */
export async function setAvailability(page: Page, to: 'Available' | 'Away' | 'Offline'): Promise<void> {
  await page.getByRole('button', { name: /^Availability: / }).click();
  await page.getByRole('menuitemradio', { name: new RegExp(`^${to}`) }).click();
  await expect(page.getByRole('button', { name: `Availability: ${to}. Change` })).toBeVisible();
}

/** The offer card of this visitor. */
export function offerOf(page: Page, visitor: { name: string }) {
  return page.getByRole('article', { name: `Offer: ${visitor.name}` });
}

/** The visitor writes, the offer arrives live, the agent accepts: the conversation is open. */
export async function takeChat(page: Page, visitor: TestVisitor, firstWords: string): Promise<void> {
  await visitor.says(firstWords);
  const offer = offerOf(page, visitor);
  await expect(offer).toBeVisible({ timeout: 15_000 });
  await offer.getByRole('button', { name: /^Accept/ }).click();
  await expect(page.getByRole('heading', { level: 1, name: visitor.name })).toBeVisible();
  await expect(page.getByTestId('messages')).toContainText(firstWords);
}

/** The reply box of the open conversation. */
export function composer(page: Page) {
  return page.getByRole('textbox', { name: 'Reply to the visitor' });
}

/** Sends a reply with Enter. */
export async function reply(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press('Enter');
  await expect(composer(page)).toHaveValue('');
}

/** The message bubble (and its meta line) that contains `text`. */
export function messageWith(page: Page, text: string | RegExp) {
  return page.getByTestId('message').filter({ hasText: text });
}

/** A small solid-colour PNG (w×h), for sending images. */
export function png(w = 64, h = 48): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(w * 3, 0x5a)]);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
