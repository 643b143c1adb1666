#ifndef PR_VERSION_H
#define PR_VERSION_H

/// podrig's version, defined once for both sides: Swift's PodrigVersion.current (`podrig
/// --version`, CRI RuntimeVersion) imports it, and CShims/early/early.c answers `--version` with it
/// before the Swift runtime starts.
#define PR_VERSION "0.1.0"

#endif
