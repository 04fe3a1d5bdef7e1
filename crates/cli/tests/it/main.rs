//! Integration tests of the `evident` command: one test binary, one small
//! harness, real processes, real files, real third-party verifiers.

mod harness;

mod accounts;
mod add;
mod analyze;
mod bench;
mod claims;
mod containers;
mod crash;
mod demo;
mod e2e;
mod import;
mod init;
mod interop;
mod receipts;
mod records;
mod sealed;
mod search;
mod serve;
mod tamper;
