// Moved to src/sandbox/slack/ (the console's relay builds the same requests); re-exported for the tests.
export * from '../../src/sandbox/slack/slackPayloads.ts';
