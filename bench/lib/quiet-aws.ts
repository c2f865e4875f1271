/**
 * Imported first by the benchmarks that reach DynamoDB: the AWS SDK's notice that its releases after
 * January 2027 need Node 22 concerns versions the lockfile does not install (README, "Prerequisites");
 * said once there, not in every benchmark's output.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
