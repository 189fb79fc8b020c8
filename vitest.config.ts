import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
    globalSetup: [],
    // The AWS SDK's documented switch for its warning about Node versions it will drop later
    // (@aws-sdk/core emitWarningIfUnsupportedVersion reads exactly "true"); snapscan declares its own
    // supported versions. Child processes inherit it; bin/snapscan.js sets it too for users.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
