# nix-build builds the plugin with the nixpkgs found on NIX_PATH:
#   nix-build            -> result/lib/collectd/p2pool.so
# For NixOS, import nix/module.nix.
{
  pkgs ? import <nixpkgs> { },
}:

pkgs.callPackage ./nix/package.nix { }
