# P2POOL_CHECK_COLLECTD
# Locates the collectd 5.12 plugin headers and the directory collectd loads
# plugins from.  Sets COLLECTD_CPPFLAGS and COLLECTD_PLUGINDIR.
#
# By default the headers are looked up in Debian's collectd-dev layout
# (/usr/include/collectd/core/daemon/plugin.h).  --with-collectd-include=DIR
# names either that layout's top directory or a configured collectd source
# tree (DIR/src/daemon/plugin.h), as a Nix build provides.
AC_DEFUN([P2POOL_CHECK_COLLECTD], [
  AC_ARG_WITH([collectd-include],
    [AS_HELP_STRING([--with-collectd-include=DIR],
      [collectd plugin headers: Debian layout top (default /usr/include/collectd) or a configured collectd source tree])],
    [p2pool_collectd_include="$withval"],
    [p2pool_collectd_include="/usr/include/collectd"])

  AC_ARG_WITH([collectd-plugindir],
    [AS_HELP_STRING([--with-collectd-plugindir=DIR],
      [where collectd loads plugins from (default LIBDIR/collectd)])],
    [COLLECTD_PLUGINDIR="$withval"],
    [COLLECTD_PLUGINDIR='${libdir}/collectd'])

  AC_MSG_CHECKING([for collectd plugin headers])
  AS_IF([test -f "$p2pool_collectd_include/core/daemon/plugin.h"], [
    COLLECTD_CPPFLAGS="-DHAVE_CONFIG_H -I$p2pool_collectd_include -I$p2pool_collectd_include/core -I$p2pool_collectd_include/core/daemon"
    AC_MSG_RESULT([$p2pool_collectd_include (Debian layout)])
  ], [test -f "$p2pool_collectd_include/src/daemon/plugin.h"], [
    COLLECTD_CPPFLAGS="-DHAVE_CONFIG_H -I$p2pool_collectd_include/src -I$p2pool_collectd_include/src/daemon"
    AC_MSG_RESULT([$p2pool_collectd_include (source tree)])
  ], [
    AC_MSG_RESULT([no])
    AC_MSG_ERROR([collectd plugin headers not found under $p2pool_collectd_include.
On Debian or Ubuntu install them with: apt-get install collectd-dev
Elsewhere pass --with-collectd-include=DIR naming a configured collectd 5.12 source tree.])
  ])

  AC_SUBST([COLLECTD_CPPFLAGS])
  AC_SUBST([COLLECTD_PLUGINDIR])
])

# P2POOL_REQUIRE_PKG(VARIABLE, MODULE, DEBIAN-PACKAGE)
# Like PKG_CHECK_MODULES, but a missing module stops configure with the name
# of the Debian package that provides it.
AC_DEFUN([P2POOL_REQUIRE_PKG], [
  PKG_CHECK_MODULES([$1], [$2], [],
    [AC_MSG_ERROR([$2 not found by pkg-config ($$1_PKG_ERRORS).
On Debian or Ubuntu install it with: apt-get install $3])])
])
