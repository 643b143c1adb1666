// libyaml (Debian's libyaml-dev): the YAML 1.1 parser podrig reads manifests with.
#include <yaml.h>
