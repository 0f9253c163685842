package org.elasticsearch.plugins;

import java.security.AccessController;
import java.security.PrivilegedAction;
import java.util.List;

/** Loads a plugin's classes from its own jars, then from the plugins it extends. */
public final class ExtendedPluginsClassLoader extends ClassLoader {

    private final List<ClassLoader> extended;

    private ExtendedPluginsClassLoader(ClassLoader parent, List<ClassLoader> extended) {
        super(parent);
        this.extended = List.copyOf(extended);
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        for (ClassLoader loader : extended) {
            try {
                return loader.loadClass(name);
            } catch (ClassNotFoundException notThere) {
                // the next one
            }
        }
        throw new ClassNotFoundException(name);
    }

    @SuppressWarnings("removal")
    public static ExtendedPluginsClassLoader create(ClassLoader parent, List<ClassLoader> extended) {
        return AccessController.doPrivileged(
                (PrivilegedAction<ExtendedPluginsClassLoader>) () -> new ExtendedPluginsClassLoader(parent, extended));
    }
}
