//! Integration tests of the `evident` command: one test binary, one small
//! harness, real processes, real files, real third-party verifiers.

mod harness;

mod accounts;
mod add;
mod analyze;
mod bench;
mod canary;
mod claims;
mod containers;
mod crash;
mod demo;
mod e2e;
mod forget;
mod import;
mod init;
mod interop;
mod receipts;
mod records;
mod redact;
mod seal_grants;
mod sealed;
mod sealed_records;
mod search;
mod serve;
mod tamper;
