# NixOS module: the p2pool plugin in services.collectd.
#
#   imports = [ ./nix/module.nix ];
#   services.collectd.enable = true;
#   services.collectd.p2pool = {
#     enable = true;
#     settings = ''
#       <Observer "mini">
#         URL "https://mini.p2pool.observer"
#       </Observer>
#       <Wallet "rig1">
#         Address "4..."
#         Observer "mini"
#       </Wallet>
#     '';
#   };
#
# collectd loads plugins from a single PluginDir and rejects symlinks, so
# the module copies the daemon's plugins and p2pool.so into one directory
# and points PluginDir at it. TypesDB names collectd's types.db and
# p2pool.types.db, because the first TypesDB line replaces the default.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  cfg = config.services.collectd.p2pool;
  collectdCfg = config.services.collectd;

  # The collectd the service runs (the same choice the collectd module makes).
  daemon =
    if collectdCfg.buildMinimalPackage then collectdCfg.finalPackage else collectdCfg.package;

  pluginDir = pkgs.runCommand "collectd-plugins-with-p2pool" { } ''
    mkdir -p "$out"
    cp ${daemon}/lib/collectd/*.so "$out/"
    cp ${cfg.package}/lib/collectd/p2pool.so "$out/"
  '';
in
{
  options.services.collectd.p2pool = {
    enable = lib.mkEnableOption "the p2pool plugin of collectd, which monitors Monero P2Pool mining";

    package = lib.mkOption {
      type = lib.types.package;
      default = pkgs.callPackage ./package.nix { collectd = daemon; };
      defaultText = lib.literalExpression "pkgs.callPackage ./package.nix { collectd = <the collectd of services.collectd>; }";
      description = "The collectd-p2pool package.";
    };

    settings = lib.mkOption {
      type = lib.types.lines;
      default = "";
      example = ''
        <Observer "mini">
          URL "https://mini.p2pool.observer"
          Events true
        </Observer>
        <Wallet "rig1">
          Address "4..."
          Observer "mini"
        </Wallet>
      '';
      description = ''
        Configuration inside `<Plugin p2pool>`: Observer, Wallet, Node and
        Prices blocks and the global options, as in collectd.conf.example.
        The state file defaults to a file in services.collectd.dataDir.
      '';
    };
  };

  config = lib.mkIf cfg.enable {
    services.collectd.extraConfig = lib.mkMerge [
      # Before every LoadPlugin, including the collectd module's own.
      (lib.mkBefore ''
        PluginDir "${pluginDir}"
        TypesDB "${daemon}/share/collectd/types.db" "${cfg.package}/share/collectd/p2pool.types.db"
      '')
      # After BaseDir and the syslog plugin, so configuration errors are logged.
      (lib.mkAfter ''
        LoadPlugin p2pool
        <Plugin p2pool>
        ${cfg.settings}
        </Plugin>
      '')
    ];
  };
}
