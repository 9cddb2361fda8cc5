// Imported first by in-process platform tests: the platform logs at info, and a test
// process's stdout is the test runner's channel (a flood of JSON lines corrupts it).
process.env.LOG_LEVEL ??= 'warn';
