import type { ToolRegistry } from '../../tools/registry.ts';

/** Bot scopes the bot uses, each for a reason. */
export const BOT_SCOPES = [
  'commands', // slash commands
  'chat:write', // parent messages, thread replies, approval messages, ephemeral refusals
  'chat:write.public', // post in public channels the bot was not invited to
  // The request modal's uploaded target list (file_input): files.info and the private download; and whether an
  // owed file was already shared, so a retry never uploads it twice.
  'files:read',
  'im:write', // fall back to a DM when the command's channel is not writable
  'usergroups:read', // approvers by user group
  'users:read', // resolve user ids in App Home / history
  'files:write', // the approval thread's target list and the run's results as CSV files (files.getUploadURLExternal)
  // Whether an owed message whose post may have gone through (a lost answer, a crash) is already in its channel,
  // thread or DM, so a retry never posts it twice (conversations.history / .replies, read only then).
  'channels:history',
  'groups:history',
  'im:history',
] as const;

export type ManifestMode = 'socket' | 'http';

/**
 * The Slack app manifest, generated from the tool registry so a new tool's slash command appears
 * without editing anything else. `http` mode needs the public base URL of the bot.
 */
export const buildManifest = (
  registry: ToolRegistry,
  mode: ManifestMode,
  baseUrl = 'https://pcm-ops.example.com',
): Record<string, unknown> => {
  const url = `${baseUrl.replace(/\/+$/u, '')}/slack/events`;
  return {
    _metadata: { major_version: 1, minor_version: 1 },
    display_information: {
      name: 'PCM Ops',
      description: 'Change-gated fleet operations through AWS Systems Manager',
      long_description:
        'Runs pre-approved, content-hashed scripts on AWS instances through SSM Run Command, only under a verified ServiceNow change and after a second person approves in Slack. Every request, approval, command and result is recorded.',
      background_color: '#1d3c5a',
    },
    features: {
      app_home: { home_tab_enabled: true, messages_tab_enabled: false, messages_tab_read_only_enabled: true },
      bot_user: { display_name: 'pcm-ops', always_online: true },
      slash_commands: [
        ...registry.tools.map((tool) => ({
          command: tool.command,
          description: tool.title.slice(0, 100),
          usage_hint: tool.actions
            .map((a) => a.title)
            .join(' | ')
            .slice(0, 100),
          should_escape: false,
          ...(mode === 'http' ? { url } : {}),
        })),
        {
          command: '/ops',
          description: 'Run history, details, cancel and change freeze',
          usage_hint: 'history [n] | show <run> | cancel <run> | freeze on <reason> | freeze off',
          should_escape: false,
          ...(mode === 'http' ? { url } : {}),
        },
      ],
    },
    oauth_config: { scopes: { bot: [...BOT_SCOPES] } },
    settings: {
      event_subscriptions: { ...(mode === 'http' ? { request_url: url } : {}), bot_events: ['app_home_opened'] },
      interactivity: { is_enabled: true, ...(mode === 'http' ? { request_url: url, message_menu_options_url: url } : {}) },
      org_deploy_enabled: false,
      socket_mode_enabled: mode === 'socket',
      token_rotation_enabled: false,
    },
  };
};
