{
  description = "collectd plugin that monitors Monero P2Pool mining";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      # nix build            -> result/lib/collectd/p2pool.so
      packages = forAllSystems (pkgs: {
        collectd-p2pool = pkgs.callPackage ./nix/package.nix { };
        default = self.packages.${pkgs.stdenv.hostPlatform.system}.collectd-p2pool;
      });

      overlays.default = final: prev: {
        collectd-p2pool = final.callPackage ./nix/package.nix { };
      };

      # services.collectd.p2pool.{enable,package,settings}
      nixosModules.default = ./nix/module.nix;

      checks = forAllSystems (pkgs: {
        build = self.packages.${pkgs.stdenv.hostPlatform.system}.collectd-p2pool;
      });
    };
}
