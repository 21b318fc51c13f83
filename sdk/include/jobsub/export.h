#pragma once
/// The core library is built with hidden visibility; JOBSUB_API marks the SDK.
#define JOBSUB_API __attribute__((visibility("default")))
