// Moved to src/sandbox/slack/ (the console's relay signs the same way); re-exported for the tests.
export * from '../../src/sandbox/slack/slackRequest.ts';
