// Every screen of the app, in one place. The agent console is in the first
// bundle; the admin screens load on first use (they never slow an agent's
// first load).
import type { Component } from 'svelte';
import AgentConsole from './agent/AgentConsole.svelte';

export type Params = Record<string, string>;
type Loaded = Component<{ params: Params }>;

export interface Screen {
  /** Path pattern (`/chats/:id`; `*` matches any rest). */
  pattern: string;
  /** The page title (also read by screen readers on navigation). */
  title: string;
  /** Only admins see it. */
  admin?: boolean;
  component?: Loaded;
  load?: () => Promise<{ default: Loaded }>;
}

export const screens: Screen[] = [
  { pattern: '/', title: 'My chats', component: AgentConsole },
  { pattern: '/chats', title: 'My chats', component: AgentConsole },
  { pattern: '/chats/:id', title: 'My chats', component: AgentConsole },
  { pattern: '/missed', title: 'Missed enquiries', component: AgentConsole },
  { pattern: '/profile', title: 'My profile', load: () => import('./admin/Profile.svelte') },
  { pattern: '/channels', title: 'Omnichannels', admin: true, load: () => import('./admin/Channels.svelte') },
  { pattern: '/channels/*', title: 'Omnichannels', admin: true, load: () => import('./admin/Channels.svelte') },
  { pattern: '/destinations', title: 'Destinations', admin: true, load: () => import('./admin/Destinations.svelte') },
  { pattern: '/staff', title: 'Staff', admin: true, load: () => import('./admin/Staff.svelte') },
  { pattern: '/api-tokens', title: 'API tokens', admin: true, load: () => import('./admin/ApiTokens.svelte') },
  { pattern: '/supervision', title: 'Live board', admin: true, load: () => import('./admin/Supervision.svelte') },
  { pattern: '/enquiries', title: 'Enquiries', admin: true, load: () => import('./admin/Enquiries.svelte') },
  { pattern: '/enquiries/:id', title: 'Enquiry', admin: true, load: () => import('./admin/Enquiries.svelte') },
];

/** Navigation menu: label, path, admin only. */
export const menu: { label: string; href: string; admin?: boolean; section?: string }[] = [
  { label: 'My chats', href: '/chats' },
  { label: 'Missed', href: '/missed' },
  { label: 'Live board', href: '/supervision', admin: true, section: 'Supervision' },
  { label: 'Enquiries', href: '/enquiries', admin: true, section: 'Supervision' },
  { label: 'Omnichannels', href: '/channels', admin: true, section: 'Channels' },
  { label: 'Destinations', href: '/destinations', admin: true, section: 'Team' },
  { label: 'Staff', href: '/staff', admin: true, section: 'Team' },
  { label: 'API tokens', href: '/api-tokens', admin: true, section: 'Settings' },
];
