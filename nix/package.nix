# collectd-p2pool, a collectd plugin that monitors Monero P2Pool mining.
#
# Builds against the collectd that loads it: collectd-headers is that
# collectd's configured source tree. Installs lib/collectd/p2pool.so and
# share/collectd/p2pool.types.db.
{
  lib,
  stdenv,
  callPackage,
  collectd,
  curl,
  libwebsockets,
  json_c,
  hiredis,
  cmocka,
  pkg-config,
  autoreconfHook,
  collectd-headers ? callPackage ./collectd-headers.nix { inherit collectd; },
}:

let
  # Files of a local build that must not reach the store: they would go
  # stale against the sources and change the hash on every build.
  generated = [
    "autom4te.cache"
    "build"
    "build-aux"
    "config.log"
    "config.status"
    "configure"
    "aclocal.m4"
    "libtool"
    "Makefile"
    "Makefile.in"
    ".libs"
    ".deps"
    ".pytest_cache"
    "__pycache__"
  ];
  isGenerated =
    path:
    let
      name = baseNameOf path;
    in
    builtins.elem name generated
    || lib.hasSuffix ".o" name
    || lib.hasSuffix ".lo" name
    || lib.hasSuffix ".la" name
    || lib.hasSuffix ".trs" name
    || lib.hasSuffix ".log" name;
in
stdenv.mkDerivation {
  pname = "collectd-p2pool";
  # Same as AC_INIT in configure.ac (a test checks that they agree).
  version = "0.1.0";

  src = lib.cleanSourceWith {
    src = lib.cleanSource ../.;
    filter = path: type: !(isGenerated path);
    name = "collectd-p2pool-source";
  };

  nativeBuildInputs = [
    autoreconfHook
    pkg-config
  ];
  buildInputs = [
    curl
    libwebsockets
    json_c
    hiredis
  ];
  checkInputs = [ cmocka ];

  configureFlags = [
    "--with-collectd-include=${collectd-headers}"
    "--with-collectd-plugindir=${placeholder "out"}/lib/collectd"
  ];

  enableParallelBuilding = true;
  # The cmocka unit tests; they use valgrind only when it is on PATH.
  doCheck = true;

  passthru = {
    inherit collectd collectd-headers;
  };

  meta = {
    description = "collectd plugin for Monero P2Pool: wallet, pool, node and price figures";
    platforms = lib.platforms.linux;
  };
}
