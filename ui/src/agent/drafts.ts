// Unsent reply text per chat, kept while the agent switches chats (not across logins).
export const drafts = new Map<string, string>();
