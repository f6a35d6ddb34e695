# Plugin headers of collectd, for building plugins outside its source tree.
#
# collectd installs no headers for plugins, and nixpkgs' collectd ships none.
# This runs collectd's own ./configure on the same source and patches as the
# daemon, so src/config.h describes this platform, and keeps every header of
# src/ (collectd.h, plugin.h, utils/...) and src/daemon/ in their layout.
# configure.ac of collectd-p2pool takes the result as
# --with-collectd-include=DIR.
{
  lib,
  stdenv,
  collectd,
  autoreconfHook,
  pkg-config,
  libtool,
  bison,
  flex,
}:

stdenv.mkDerivation {
  pname = "collectd-plugin-headers";
  inherit (collectd) version src;
  patches = collectd.patches or [ ];

  nativeBuildInputs = [
    autoreconfHook
    pkg-config
    bison
    flex
  ];
  buildInputs = [ libtool ];

  # Only config.h is wanted; the plugin list affects HAVE_* macros of
  # plugins, never the daemon's ABI.
  configureFlags = [
    "--disable-all-plugins"
    "--localstatedir=/var"
  ];
  dontBuild = true;

  installPhase = ''
    runHook preInstall
    test -f src/config.h
    (cd src && find . -name '*.h' -exec install -D -m 644 '{}' "$out/src/{}" ';')
    runHook postInstall
  '';

  meta = {
    description = "collectd ${collectd.version} headers for out-of-tree plugins";
    inherit (collectd.meta) homepage license platforms;
  };
}
